// The evaluation service: scores every successful inference with the built-in evaluators and
// stores the evaluations. gRPC serves health and reflection.
import { connectBus } from '@keel/bus';
import { KeelServer } from '@keel/kit';
import { InferencePayloads } from '@keel/payloads';
import { connectStore } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import type { EvaluationConfig } from './config';
import { consumeInferenceCompleted } from './consumers/inference-completed';
import { EVALUATIONS, type EvaluationDocument, evaluationIndexes } from './store/evaluations';

export interface EvaluationApp {
  port: number;
  stop(): Promise<void>;
}

export async function startEvaluation(
  config: EvaluationConfig,
  logger: Logger,
): Promise<EvaluationApp> {
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
  const stopDependencies = async () => {
    await bus.drain();
    await store.close();
  };

  try {
    await store.ensureIndexes(evaluationIndexes);
    await bus.ensureStreams(['inference', 'evaluation']);
    await consumeInferenceCompleted({
      bus,
      evaluations: store.collection<EvaluationDocument>(EVALUATIONS),
      payloads: await InferencePayloads.open(bus),
      logger,
      concurrency: config.KEEL_EVALUATION_CONCURRENCY,
      ackWaitMs: config.KEEL_EVALUATION_ACK_WAIT_MS,
      maxDeliver: config.KEEL_EVALUATION_MAX_DELIVER,
    });
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
