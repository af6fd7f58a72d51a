// The InferenceCompleted event of one request, from its route and how its chain ran.
import { type common, durationFromMs, inference, type router } from '@keel/contracts';
import type { ChainOutcome } from './fallback';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

export interface CompletedInference {
  inferenceId: string;
  tenantId: string;
  /** The request's messages, as the caller sent them: evaluation reads the input too. */
  messages: common.ChatMessage[];
  decision: router.RouteDecision;
  outcome: ChainOutcome;
  latencyMs: number;
  traceId: string;
  occurredAt: Date;
}

export function completedEvent(done: CompletedInference): inference.InferenceCompleted {
  const { served, attempts, costNanoUsd } = done.outcome;
  return inference.InferenceCompleted.fromPartial({
    inferenceId: done.inferenceId,
    tenantId: done.tenantId,
    functionName: done.decision.functionName,
    variantName: done.decision.variantName,
    model: served?.model.name ?? '',
    attempts,
    usage: served?.usage,
    costNanoUsd,
    catalogVersion: done.decision.catalogVersion,
    policyVersion: done.decision.policyVersion,
    status: served ? OK : FAILED,
    outputText: served?.text ?? '',
    inputMessages: done.messages,
    latency: durationFromMs(done.latencyMs),
    traceId: done.traceId,
    occurredAt: done.occurredAt,
  });
}
