// The evaluation service on the real NATS and Mongo servers for the pipeline tests, started
// in-process as main.ts would start it, with the policy (and keys) snapshots a router would
// publish already in place; each deployment has its own bus prefix and database.
import * as grpc from '@grpc/grpc-js';
import { type Bus, type Delivery, connectBus } from '@keel/bus';
import { loadConfig } from '@keel/config';
import {
  durableNameOf,
  type evaluation as evaluationTypes,
  evaluation,
  events,
  inference,
  router,
  streamOf,
} from '@keel/contracts';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { type Store, connectStore } from '@keel/store';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { type ConsumerInfo, jetstreamManager } from '@nats-io/jetstream';
import pino, { type Logger } from 'pino';
import { type EvaluationApp, startEvaluation } from './app';
import { configShape } from './config';
import type { TestKey } from './queries.fixture';
import type { EvaluatorOutcomeDocument } from './store/evaluator-stats';
import type { EvaluationDocument } from './store/evaluations';

const { INFERENCE_STATUS_OK: OK } = inference.InferenceStatus;
export const DURABLE = durableNameOf('evaluation', events.inferenceCompleted);

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

/** A policy snapshot holding these tenants' functions (variants do not matter to evaluation). */
export function policyOf(
  tenants: Record<string, Array<Partial<router.KeelFunction> & { functionName: string }>>,
): router.PolicySnapshot {
  return router.PolicySnapshot.fromPartial({
    catalog: { version: 1n },
    tenants: Object.entries(tenants).map(([tenantId, functions]) => ({
      tenantId,
      functions: functions.map((fn) => ({ tenantId, ...fn })),
    })),
  });
}

export function completed(
  fields: Partial<inference.InferenceCompleted> = {},
): inference.InferenceCompleted {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inference'),
    tenantId: uniqueName('tenant'),
    functionName: 'support.answer',
    variantName: 'default',
    model: 'sim-small',
    attempts: [{ model: 'sim-small', provider: 'sim', status: OK }],
    catalogVersion: 1n,
    status: OK,
    outputText: 'Your order ships on Monday.',
    occurredAt: new Date('2025-08-01T10:00:00.123Z'),
    ...fields,
  });
}

export interface PipelineOptions {
  policy?: router.PolicySnapshot;
  keys?: TestKey[];
  /** More of the service's environment (judge keys, delivery limits). */
  env?: Record<string, string>;
  logger?: Logger;
}

/** What a test sees of one deployment: its bus, its store, what evaluation announced. */
export class Pipeline {
  readonly scored: Array<{ message: evaluationTypes.EvaluationScored; delivery: Delivery }> = [];
  private client: evaluation.EvaluationServiceClient | null = null;

  private constructor(
    readonly prefix: string,
    readonly bus: Bus,
    readonly store: Store,
    readonly app: EvaluationApp,
  ) {}

  static async start(options: PipelineOptions = {}): Promise<Pipeline> {
    const prefix = uniqueName('evp');
    const { natsUrl, mongoUrl } = testServers();
    const bus = await connectBus({
      servers: natsUrl,
      name: 'evaluation-test',
      prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.ensureStreams(['inference', 'evaluation']);
    const buckets = await openSnapshotBuckets(bus);
    if (options.policy) {
      await buckets.policy.put(SNAPSHOT_KEY, router.PolicySnapshot.encode(options.policy).finish());
    }
    const keys = router.KeysSnapshot.fromPartial({
      keys: (options.keys ?? []).map((key) => key.record),
    });
    await buckets.keys.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(keys).finish());
    const config = loadConfig(configShape, {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      KEEL_BUS_PREFIX: prefix,
      KEEL_DB_PREFIX: prefix,
      KEEL_BIND_HOST: '127.0.0.1',
      KEEL_EVALUATION_PORT: '0',
      KEEL_EVALUATION_ACK_WAIT_MS: '1000',
      ...options.env,
    });
    const app = await startEvaluation(config, options.logger ?? pino({ level: 'silent' }));
    const store = await connectStore({ url: mongoUrl, dbPrefix: prefix, service: 'evaluation' });
    return new Pipeline(prefix, bus, store, app);
  }

  /** Collects every EvaluationScored from now on, in the order published. */
  async listen(): Promise<void> {
    await this.bus.consume(events.evaluationScored, {
      durable: 'evaluation-test',
      concurrency: 1,
      handler: async (message, delivery) => {
        this.scored.push({ message, delivery });
      },
    });
  }

  scoredFor(event: inference.InferenceCompleted) {
    return this.scored.filter(
      ({ message }) => message.evaluation?.inferenceId === event.inferenceId,
    );
  }

  async publish(event: inference.InferenceCompleted, msgId = event.inferenceId): Promise<number> {
    const { seq } = await this.bus.publish(events.inferenceCompleted, event, { msgId });
    return seq;
  }

  /** Resolves once evaluation has settled (acked or terminated) every message up to `seq`. */
  async settledThrough(seq: number, timeoutMs?: number): Promise<ConsumerInfo> {
    const jsm = await jetstreamManager(this.bus.connection);
    return eventually(
      async () => {
        const info = await jsm.consumers.info(streamOf('inference', this.prefix).name, DURABLE);
        return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0 && info;
      },
      { what: `evaluation to settle message ${seq}`, timeoutMs },
    );
  }

  /** The inference's evaluations, by evaluator. */
  evaluationsOf(event: inference.InferenceCompleted): Promise<EvaluationDocument[]> {
    return this.store
      .collection<EvaluationDocument>('evaluations')
      .find(
        { tenant_id: event.tenantId, inference_id: event.inferenceId },
        { projection: { _id: 0 }, sort: { evaluator: 1 } },
      )
      .toArray();
  }

  /** What each evaluator did with the inference, by evaluator. */
  async outcomesOf(event: inference.InferenceCompleted): Promise<Record<string, string>> {
    const docs = await this.store
      .collection<EvaluatorOutcomeDocument>('evaluator_outcomes')
      .find({ tenant_id: event.tenantId, inference_id: event.inferenceId })
      .toArray();
    return Object.fromEntries(
      docs.map((doc) => [
        doc.evaluator,
        doc.reason ? `${doc.outcome}: ${doc.reason}` : doc.outcome,
      ]),
    );
  }

  stats(
    request: Partial<evaluationTypes.GetEvaluatorStatsRequest>,
    token: string,
  ): Promise<evaluationTypes.GetEvaluatorStatsResponse> {
    this.client ??= new evaluation.EvaluationServiceClient(
      `127.0.0.1:${this.app.port}`,
      grpc.credentials.createInsecure(),
    );
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) =>
      this.client!.getEvaluatorStats(
        evaluation.GetEvaluatorStatsRequest.fromPartial(request),
        metadata,
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.app.stop();
    await this.bus.drain();
    await this.store.db.dropDatabase();
    await this.store.close();
  }
}
