// What the caller receives: the unary answer, and a stream's final message. A stream's answer
// is stored for repeats in the unary answer's shape, so either RPC can replay it.
import { durationFromMs, inference, type router } from '@keel/contracts';
import {
  CancelledError,
  DeadlineExceededError,
  type KeelError,
  UnavailableError,
} from '@keel/errors';
import { type ChainOutcome, type ServedAnswer, describeFailures } from './fallback';

export function completeResponse(
  inferenceId: string,
  decision: router.RouteDecision,
  served: ServedAnswer,
  outcome: ChainOutcome,
): inference.CompleteResponse {
  return inference.CompleteResponse.fromPartial({
    inferenceId,
    text: served.text,
    model: served.model.name,
    usage: served.usage,
    costNanoUsd: outcome.costNanoUsd,
    functionName: decision.functionName,
    variantName: decision.variantName,
    finishReason: served.finishReason,
    toolCalls: served.toolCalls,
    attempts: outcome.attempts,
  });
}

/** A stream's last message, from its answer; `timeToFirstTokenMs` unset for a replay. */
export function streamEnd(
  answer: inference.CompleteResponse,
  timeToFirstTokenMs?: number,
): inference.StreamResponse {
  return inference.StreamResponse.fromPartial({
    inferenceId: answer.inferenceId,
    end: {
      model: answer.model,
      usage: answer.usage,
      costNanoUsd: answer.costNanoUsd,
      functionName: answer.functionName,
      variantName: answer.variantName,
      finishReason: answer.finishReason,
      toolCalls: answer.toolCalls,
      attempts: answer.attempts,
      timeToFirstToken:
        timeToFirstTokenMs === undefined ? undefined : durationFromMs(timeToFirstTokenMs),
      idempotentReplay: answer.idempotentReplay,
      cacheHit: answer.cacheHit,
      fallbackAnswer: answer.fallbackAnswer,
    },
  });
}

/** How the caller ended its call before it was answered, if it did. */
export type CallerEnd = 'cancelled' | 'deadline' | null;

/**
 * The error of a request no model served: the caller's end when it cut the chain short,
 * else every model's failure (UNAVAILABLE).
 */
export function unservedError(attempts: inference.Attempt[], end: CallerEnd): KeelError {
  const tried = `${attempts.length} attempt${attempts.length === 1 ? '' : 's'}`;
  if (end === 'cancelled') return new CancelledError(`the caller cancelled after ${tried}`);
  if (end === 'deadline') {
    return new DeadlineExceededError(`the deadline passed after ${tried}`);
  }
  return new UnavailableError(describeFailures(attempts));
}

/** The status recorded for a request no model served. */
export function unservedStatus(end: CallerEnd): inference.InferenceStatus {
  return end === 'cancelled'
    ? inference.InferenceStatus.INFERENCE_STATUS_CANCELLED
    : inference.InferenceStatus.INFERENCE_STATUS_FAILED;
}
