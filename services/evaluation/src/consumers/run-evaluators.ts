// Runs a function's evaluators on one inference. Each evaluator ends in exactly one recorded
// outcome: run (its verdict stored and announced), skip (sampled out, or it does not apply) or
// error (it threw, or can never run here); one that already has an outcome, from an earlier
// delivery, is not run again. A transient failure (the judge unreachable) records nothing and
// rejects, so the message is redelivered; the other evaluators' outcomes stand. A first
// delivery does not look for earlier outcomes (one read fewer per event): an inference
// published twice is evaluated again, and each write keeps its first copy and count.
import type { Bus } from '@keel/bus';
import { durationToMs, evaluation, events, type inference } from '@keel/contracts';
import type { EvaluatedInference, JudgeClient } from '@keel/evaluators';
import type { Store } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import type { EvaluationPlan, PlannedEvaluator } from '../domain/evaluation-plans';
import { evaluatorOutcome } from '../domain/evaluator-outcome';
import { sampled } from '../domain/sampling';
import {
  type EvaluatorOutcomeDocument,
  recordOutcome,
  recordedOutcomes,
} from '../store/evaluator-stats';
import {
  evaluationDocumentOf,
  evaluationOf,
  inferenceDocumentOf,
  recordEvaluation,
  recordInference,
} from '../store';
import type { EvaluatorMetrics } from './evaluator-metrics';

/** A reason is one sentence for an analyst, not a stack: longer ones are cut. */
const MAX_REASON_CHARS = 500;

export interface EvaluatorRunDeps {
  bus: Bus;
  store: Store;
  metrics: EvaluatorMetrics;
  logger: Logger;
  /** The LLM judge for this tenant. */
  judgeFor(tenantId: string): JudgeClient;
}

export async function runEvaluators(
  deps: EvaluatorRunDeps,
  event: inference.InferenceCompleted,
  text: inference.InferencePayload,
  plan: EvaluationPlan,
  redelivered: boolean,
): Promise<void> {
  const now = new Date();
  await recordInference(deps.store, inferenceDocumentOf(event, text, now));
  const done = redelivered
    ? await recordedOutcomes(deps.store, event.tenantId, event.inferenceId)
    : new Map<string, string>();
  const evaluated: EvaluatedInference = {
    inferenceId: event.inferenceId,
    functionName: event.functionName,
    variantName: event.variantName,
    model: event.model,
    inputMessages: text.inputMessages,
    outputText: text.outputText,
    toolCalls: event.toolCalls,
    reference: text.reference,
    retrievedContext: text.renderedContext,
    guardrails: event.guardrails,
    latencyMs: durationToMs(event.latency),
    costNanoUsd: event.costNanoUsd,
    serviceLevel: plan.serviceLevel,
  };
  const pending = plan.evaluators.filter((evaluator) => !done.has(evaluator.id));
  // Side by side, so a slow judge does not hold up the cheap evaluators.
  const results = await Promise.allSettled(
    pending.map((evaluator) => runOne(deps, event, evaluated, evaluator)),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}

async function runOne(
  deps: EvaluatorRunDeps,
  event: inference.InferenceCompleted,
  evaluated: EvaluatedInference,
  planned: PlannedEvaluator,
): Promise<void> {
  const outcome = (kind: EvaluatorOutcomeDocument['outcome'], reason: string) =>
    record(deps, {
      tenant_id: event.tenantId,
      inference_id: event.inferenceId,
      function_name: event.functionName,
      evaluator: planned.id,
      outcome: kind,
      reason: reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason,
      created_at: new Date(),
    });
  if (planned.runnable && !sampled(event.inferenceId, planned.id, planned.samplingRate)) {
    return outcome('skip', 'sampling');
  }
  const result = await evaluatorOutcome(planned, evaluated, deps.judgeFor(event.tenantId));
  if (result.kind === 'skip') return outcome('skip', result.reason);
  if (result.kind === 'error') {
    if (result.error) {
      deps.logger.warn(
        { inference_id: event.inferenceId, evaluator: planned.id, err: result.error },
        'evaluator failed: counted as an error',
      );
    }
    return outcome('error', result.reason);
  }
  const stored = await recordEvaluation(
    deps.store,
    evaluationDocumentOf(event, planned.id, result.verdict, new Date()),
  );
  await deps.bus.publish(
    events.evaluationScored,
    evaluation.EvaluationScored.fromPartial({
      evaluation: evaluationOf(stored),
      occurredAt: stored.created_at,
    }),
    { msgId: `${stored.inference_id}:${stored.evaluator}` },
  );
  await outcome('run', '');
}

async function record(deps: EvaluatorRunDeps, doc: EvaluatorOutcomeDocument): Promise<void> {
  if (await recordOutcome(deps.store, doc)) deps.metrics.count(doc);
}
