import { common, inference as inferenceContracts } from '@keel/contracts';
import type { EvaluatedInference, EvaluatorDefinition, EvaluatorDeps, Verdict } from './evaluator';

/** An evaluated inference answering `outputText`, with nothing optional unless given. */
export function evaluatedInference(
  outputText: string,
  overrides: Partial<EvaluatedInference> = {},
): EvaluatedInference {
  return {
    inferenceId: '0190f5e2-7a4b-7c3d-8e9f-0a1b2c3d4e5f',
    functionName: 'support',
    variantName: 'default',
    model: 'sim-small',
    inputMessages: [
      common.ChatMessage.fromPartial({
        role: common.MessageRole.MESSAGE_ROLE_USER,
        content: 'When does my order ship?',
      }),
    ],
    outputText,
    toolCalls: [],
    latencyMs: 120,
    costNanoUsd: 1_500n,
    ...overrides,
  };
}

/** The same, with a reference answer and/or context. */
export function withReference(
  outputText: string,
  reference: { answer?: string; context?: string[] },
  overrides: Partial<EvaluatedInference> = {},
): EvaluatedInference {
  return evaluatedInference(outputText, {
    reference: inferenceContracts.Reference.fromPartial(reference),
    ...overrides,
  });
}

/** Runs an evaluator as the consumer does: params, then skip or evaluate. */
export async function run(
  evaluator: EvaluatorDefinition,
  inference: EvaluatedInference,
  paramsJson = '',
  deps: EvaluatorDeps = {},
): Promise<Verdict | { skipped: string }> {
  const params = evaluator.parseParams(paramsJson);
  const skipped = evaluator.skipReason(inference, params);
  return skipped === undefined ? evaluator.evaluate(inference, params, deps) : { skipped };
}
