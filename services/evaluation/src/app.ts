// The evaluation service: scores every successful inference with its function's evaluators and
// stores the evaluations. gRPC serves the analysts' EvaluationService, health and reflection.
import { type RunningService, startService } from '@keel/kit';
import { InferencePayloads } from '@keel/payloads';
import { SnapshotFollower, openSnapshotBuckets } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import type { EvaluationConfig } from './config';
import { DriftCheck } from './consumers/drift-check';
import { consumeEvaluationScored } from './consumers/evaluation-scored';
import { consumeFeedbackRecorded } from './consumers/feedback-recorded';
import { consumeInferenceCompleted } from './consumers/inference-completed';
import { startDatasets } from './datasets';
import { EvaluationPlans } from './domain/evaluation-plans';
import { InferenceJudges } from './judge/inference-judge';
import { readJudgeKeys } from './judge/judge-keys';
import { bindEvaluationService } from './rpc/server';
import { driftAlertIndexes } from './store/drift-alerts';
import { evaluatorStatsIndexes } from './store/evaluator-stats';
import { feedbackCollectionOf } from './store/feedback';
import { evaluationIndexes } from './store/indexes';

export type EvaluationApp = RunningService;

export function startEvaluation(config: EvaluationConfig, logger: Logger): Promise<EvaluationApp> {
  const judgeKeys = readJudgeKeys(config.KEEL_JUDGE_KEYS_FILE);
  const options = { service: 'evaluation', port: config.KEEL_EVALUATION_PORT, env: config, logger };
  return startService(options, async ({ store, bus, server, onStop, onDrained }) => {
    const judges = new InferenceJudges(
      config.KEEL_INFERENCE_ADDRESS,
      judgeKeys,
      config.KEEL_JUDGE_TIMEOUT_MS,
    );
    onDrained(() => judges.close());
    await store.ensureIndexes(evaluationIndexes);
    await store.ensureIndexes(evaluatorStatsIndexes);
    await store.ensureIndexes(driftAlertIndexes);
    await bus.ensureStreams(['inference', 'evaluation', 'feedback']);
    // The router's policy snapshot says which evaluators each function runs; its keys
    // snapshot authenticates the analysts' queries.
    const follower = await SnapshotFollower.follow(await openSnapshotBuckets(bus), logger);
    onStop(() => follower.stop());
    const plans = new EvaluationPlans();
    follower.onPolicySnapshot((snapshot) => plans.update(snapshot));
    await consumeInferenceCompleted({
      bus,
      store,
      payloads: await InferencePayloads.open(bus),
      plans,
      judgeFor: (tenantId) => judges.forTenant(tenantId),
      logger,
      concurrency: config.KEEL_EVALUATION_CONCURRENCY,
      ackWaitMs: config.KEEL_EVALUATION_ACK_WAIT_MS,
      maxDeliver: config.KEEL_EVALUATION_MAX_DELIVER,
    });
    await consumeFeedbackRecorded({
      bus,
      feedback: feedbackCollectionOf(store),
      concurrency: config.KEEL_EVALUATION_CONCURRENCY,
      ackWaitMs: config.KEEL_EVALUATION_ACK_WAIT_MS,
      maxDeliver: config.KEEL_EVALUATION_MAX_DELIVER,
    });
    // Every stored score counts toward its key's next drift check.
    await consumeEvaluationScored({
      bus,
      drift: new DriftCheck({
        bus,
        store,
        logger,
        settings: {
          windowSize: config.KEEL_DRIFT_WINDOW_SIZE,
          baselineSize: config.KEEL_DRIFT_BASELINE_SIZE,
          alpha: config.KEEL_DRIFT_ALPHA,
          minDrop: config.KEEL_DRIFT_MIN_DROP,
        },
      }),
      concurrency: config.KEEL_EVALUATION_CONCURRENCY,
      ackWaitMs: config.KEEL_EVALUATION_ACK_WAIT_MS,
      maxDeliver: config.KEEL_EVALUATION_MAX_DELIVER,
    });
    bindEvaluationService(server, { store, keyRing: follower.keyRing, logger });
    const stopExperiments = await startDatasets(server, {
      config,
      store,
      bus,
      follower,
      plans,
      judgeFor: (tenantId) => judges.forTenant(tenantId),
      logger,
    });
    onStop(stopExperiments);
  });
}
