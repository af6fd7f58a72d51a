// The InferenceCompleted event of one request, from its route and how its chain ran.
import { type common, durationFromMs, inference, type router } from '@keel/contracts';
import type { ChainOutcome } from './fallback';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

export interface CompletedInference {
  inferenceId: string;
  tenantId: string;
  /** The request's messages, as the caller sent them: evaluation reads the input too. */
  messages: common.ChatMessage[];
  /** The caller's labels and episode, as the request carried them. */
  tags?: Record<string, string>;
  episodeId?: string;
  decision: router.RouteDecision;
  outcome: ChainOutcome;
  /** Unset: OK when a model served, FAILED when none did. A stream sets PARTIAL or CANCELLED. */
  status?: inference.InferenceStatus;
  streamed?: boolean;
  /** For a stream that delivered a token: from the request to that token. */
  timeToFirstTokenMs?: number;
  /** The answer as recorded, when not the served one: redacted, or the fallback answer. */
  output?: { text: string; toolCalls: common.ToolCall[] };
  /** True when `output` is the function's fallback answer. */
  fallbackAnswer?: boolean;
  guardrails?: inference.GuardrailReport;
  /** The request's reference answer or context, for the function's evaluators. */
  reference?: inference.Reference;
  /** Set when the answer came from the exact cache: the outcome then has no attempts, cost 0. */
  cacheHit?: inference.CacheHit;
  /** The budget whose DOWNGRADE action ran the decision's variant, if one did. */
  downgradedByBudget?: string;
  /** The context retrieved for the function's collection, when it has one. */
  retrieval?: inference.RetrievedContext;
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
    status: done.status ?? (served ? OK : FAILED),
    outputText: done.output?.text ?? served?.text ?? '',
    inputMessages: done.messages,
    latency: durationFromMs(done.latencyMs),
    traceId: done.traceId,
    occurredAt: done.occurredAt,
    finishReason: served?.finishReason,
    toolCalls: done.output?.toolCalls ?? served?.toolCalls ?? [],
    tags: done.tags ?? {},
    episodeId: done.episodeId ?? '',
    streamed: done.streamed ?? false,
    timeToFirstToken:
      done.timeToFirstTokenMs === undefined ? undefined : durationFromMs(done.timeToFirstTokenMs),
    cacheHit: done.cacheHit,
    fallbackAnswer: done.fallbackAnswer ?? false,
    guardrails: done.guardrails,
    reference: done.reference,
    downgradedByBudget: done.downgradedByBudget ?? '',
    retrieval: done.retrieval,
  });
}
