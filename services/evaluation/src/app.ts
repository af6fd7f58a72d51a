// The evaluation service: scores every successful inference with its function's evaluators and
// stores the evaluations. gRPC serves the analysts' EvaluationService, health and reflection.
import { connectBus } from '@keel/bus';
import { KeelServer } from '@keel/kit';
import { InferencePayloads } from '@keel/payloads';
import { SnapshotFollower, openSnapshotBuckets } from '@keel/snapshots';
import { connectStore } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import type { EvaluationConfig } from './config';
import { consumeInferenceCompleted } from './consumers/inference-completed';
import { EvaluationPlans } from './domain/evaluation-plans';
import { InferenceJudges } from './judge/inference-judge';
import { readJudgeKeys } from './judge/judge-keys';
import { bindEvaluationService } from './rpc/server';
import { evaluatorStatsIndexes } from './store/evaluator-stats';
import { evaluationIndexes } from './store/indexes';

export interface EvaluationApp {
  port: number;
  stop(): Promise<void>;
}

export async function startEvaluation(
  config: EvaluationConfig,
  logger: Logger,
): Promise<EvaluationApp> {
  const judgeKeys = readJudgeKeys(config.KEEL_JUDGE_KEYS_FILE);
  const store = await connectStore({
    url: config.MONGO_URL,
    dbPrefix: config.KEEL_DB_PREFIX,
    service: 'evaluation',
  });
  const bus = await connectBus({
    servers: config.NATS_URL,
    name: 'evaluation',
    prefix: config.KEEL_BUS_PREFIX,
    logger,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const server = new KeelServer({
    serviceName: 'evaluation',
    logger,
    host: config.KEEL_BIND_HOST,
    port: config.KEEL_EVALUATION_PORT,
  });
  let stopFollower = () => {};
  const judges = new InferenceJudges(
    config.KEEL_INFERENCE_ADDRESS,
    judgeKeys,
    config.KEEL_JUDGE_TIMEOUT_MS,
  );
  const stopDependencies = async () => {
    stopFollower();
    await bus.drain();
    judges.close();
    await store.close();
  };

  try {
    await store.ensureIndexes(evaluationIndexes);
    await store.ensureIndexes(evaluatorStatsIndexes);
    await bus.ensureStreams(['inference', 'evaluation']);
    // The router's policy snapshot says which evaluators each function runs; its keys
    // snapshot authenticates the analysts' queries.
    const follower = await SnapshotFollower.follow(await openSnapshotBuckets(bus), logger);
    stopFollower = () => follower.stop();
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
    bindEvaluationService(server, { store, keyRing: follower.keyRing, logger });
    const port = await server.start();
    server.setServing(true);
    return {
      port,
      // The gRPC server first, then the consumer (bus.drain lets its handlers finish and ack),
      // then the store.
      stop: async () => {
        await server.shutdown();
        await stopDependencies();
      },
    };
  } catch (error) {
    await stopDependencies();
    throw error;
  }
}
