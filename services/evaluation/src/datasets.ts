// The DatasetService beside the EvaluationService: its indexes, the experiments' inference
// client and runs, the recovery of runs a restart interrupted. Returns what stops the runs.
import type { Bus } from '@keel/bus';
import type { JudgeClient } from '@keel/evaluators';
import type { KeelServer } from '@keel/kit';
import type { SnapshotFollower } from '@keel/snapshots';
import type { Store } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import type { EvaluationConfig } from './config';
import type { EvaluationPlans } from './domain/evaluation-plans';
import { ExperimentInference } from './experiments/experiment-inference';
import { ExperimentRuns } from './experiments/experiment-runs';
import { recoverExperiments } from './experiments/recover-experiments';
import { bindDatasetService } from './rpc/dataset-server';
import { DatasetStore, datasetIndexes } from './store/datasets';
import { ExperimentStore } from './store/experiments';
import { feedbackCollectionOf } from './store/feedback';
import { inferencesOf } from './store/inferences';

export async function startDatasets(
  server: KeelServer,
  deps: {
    config: EvaluationConfig;
    store: Store;
    bus: Bus;
    follower: SnapshotFollower;
    plans: EvaluationPlans;
    judgeFor(tenantId: string): JudgeClient;
    logger: Logger;
  },
): Promise<() => Promise<void>> {
  const { config, store, bus, follower, logger } = deps;
  await store.ensureIndexes(datasetIndexes);
  const inference = new ExperimentInference(
    config.KEEL_INFERENCE_ADDRESS,
    config.KEEL_EXPERIMENT_CALL_TIMEOUT_MS,
  );
  const runner = {
    experiments: new ExperimentStore(store),
    bus,
    inference,
    judgeFor: deps.judgeFor,
    logger,
  };
  await recoverExperiments(runner);
  const runs = new ExperimentRuns(runner);
  bindDatasetService(server, {
    datasets: new DatasetStore(store),
    inferences: inferencesOf(store),
    feedback: feedbackCollectionOf(store),
    policy: () => follower.policy,
    plans: deps.plans,
    runner,
    runs,
    keyRing: follower.keyRing,
    logger,
  });
  return async () => {
    await runs.stop();
    inference.close();
  };
}
