// Runs each function's evaluators (from the router's policy snapshot) on each successful
// inference, stores each evaluation once and announces it with EvaluationScored; acked only
// after every evaluator has a recorded outcome. A message about to go to the dead-letter
// stream counts a dead letter for each evaluator that had no outcome yet.
import { type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { durableNameOf, events, inference } from '@keel/contracts';
import type { JudgeClient } from '@keel/evaluators';
import type { InferencePayloads } from '@keel/payloads';
import type { Store } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import type { EvaluationPlan, EvaluationPlans } from '../domain/evaluation-plans';
import { EXPERIMENT_TAG } from '../experiments/experiment-inference';
import { JUDGE_TAG } from '../judge/inference-judge';
import { recordOutcome, recordedOutcomes } from '../store/evaluator-stats';
import { EvaluatorMetrics } from './evaluator-metrics';
import { runEvaluators } from './run-evaluators';

export interface InferenceCompletedConsumer {
  bus: Bus;
  store: Store;
  /** Where the text of an inference too large for its event is read. */
  payloads: InferencePayloads;
  /** Each function's evaluators, following the policy snapshot. */
  plans: EvaluationPlans;
  judgeFor(tenantId: string): JudgeClient;
  logger: Logger;
  concurrency: number;
  ackWaitMs: number;
  /** Deliveries before a failing message goes to the dead-letter stream. */
  maxDeliver: number;
}

export function consumeInferenceCompleted(deps: InferenceCompletedConsumer): Promise<Subscription> {
  const metrics = new EvaluatorMetrics();
  const runDeps = { ...deps, metrics };
  return deps.bus.consume(events.inferenceCompleted, {
    durable: durableNameOf('evaluation', events.inferenceCompleted),
    concurrency: deps.concurrency,
    ackWaitMs: deps.ackWaitMs,
    maxDeliver: deps.maxDeliver,
    handler: async (event, delivery) => {
      if (!event.tenantId) throw new PoisonMessageError('tenant_id is missing');
      if (!event.inferenceId) throw new PoisonMessageError('inference_id is missing');
      // A failed inference has no answer to score; a judge's answer is not judged in turn.
      if (event.status !== inference.InferenceStatus.INFERENCE_STATUS_OK) return;
      if (event.tags[JUDGE_TAG] === '1') return;
      // An experiment scores its own answers, and they are not production's.
      if (event.tags[EXPERIMENT_TAG]) return;
      const plan = deps.plans.planOf(event.tenantId, event.functionName);
      // Which evaluators run is the router's to say: wait for its snapshot (retried).
      if (!plan) throw new Error('no policy snapshot has arrived yet');
      try {
        // Inline or stored apart; a payload not there yet is retried like any transient failure.
        const text = await deps.payloads.read(event);
        await runEvaluators(runDeps, event, text, plan, delivery.deliveryCount > 1);
      } catch (error) {
        if (error instanceof PoisonMessageError || delivery.deliveryCount >= deps.maxDeliver) {
          await countDeadLetter(runDeps, event, plan, error);
        }
        throw error;
      }
    },
  });
}

async function countDeadLetter(
  deps: { store: Store; metrics: EvaluatorMetrics; logger: Logger },
  event: inference.InferenceCompleted,
  plan: EvaluationPlan,
  error: unknown,
): Promise<void> {
  try {
    const done = await recordedOutcomes(deps.store, event.tenantId, event.inferenceId);
    for (const { id } of plan.evaluators) {
      if (done.has(id)) continue;
      const doc = {
        tenant_id: event.tenantId,
        inference_id: event.inferenceId,
        function_name: event.functionName,
        evaluator: id,
        outcome: 'dead_letter' as const,
        reason: (error as Error).message ?? String(error),
        created_at: new Date(),
      };
      if (await recordOutcome(deps.store, doc)) deps.metrics.count(doc);
    }
  } catch (countError) {
    // The dead letter itself is still stored (and counted by the bus): only this count is lost.
    deps.logger.error(
      { inference_id: event.inferenceId, err: countError },
      'the dead letter could not be counted per evaluator',
    );
  }
}
