// The function's fallback answer, given instead of an error: marked in the answer (and the
// event) so a caller and an analyst can tell it from a model's.
import { inference, type router } from '@keel/contracts';
import type { ChainOutcome } from '../domain/fallback';

/** The answer of a request the fallback answered: the chain's attempts and cost, no model. */
export function fallbackResponse(
  inferenceId: string,
  decision: router.RouteDecision,
  text: string,
  outcome: ChainOutcome,
): inference.CompleteResponse {
  return inference.CompleteResponse.fromPartial({
    inferenceId,
    text,
    costNanoUsd: outcome.costNanoUsd,
    functionName: decision.functionName,
    variantName: decision.variantName,
    finishReason: inference.FinishReason.FINISH_REASON_STOP,
    attempts: outcome.attempts,
    fallbackAnswer: true,
  });
}

/** The outcome of a request whose input was blocked: no model was called. */
export function nothingCalled(): ChainOutcome {
  return { served: null, attempts: [], costNanoUsd: 0n };
}
