// The evaluation service on the real servers for the EvaluationService tests: the keys snapshot
// a router would publish, the store to seed through the write API, and a promise-based client.
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { loadConfig } from '@keel/config';
import { common, evaluation, inference, router } from '@keel/contracts';
import { type IssuedKey, issueKey } from '@keel/kit';
import { SNAPSHOT_KEY, type SnapshotBuckets, openSnapshotBuckets } from '@keel/snapshots';
import { type Store, connectStore } from '@keel/store';
import { eventually, testServers, uniqueName } from '@keel/testing';
import pino from 'pino';
import { type EvaluationApp, startEvaluation } from './app';
import { configShape } from './config';
import { type StoredVerdict, evaluationDocumentOf, recordEvaluation } from './store/evaluations';
import { inferenceDocumentOf, recordInference } from './store/inferences';

const { API_KEY_SCOPE_ANALYTICS: ANALYTICS, API_KEY_SCOPE_ADMIN: ADMIN } = router.ApiKeyScope;

export type TestKey = IssuedKey;

export function testKey(
  tenantId: string,
  scopes: router.ApiKeyScope[] = [ANALYTICS],
  operator = false,
): TestKey {
  return issueKey(tenantId, scopes, operator);
}

/** An operator key that may read every tenant's evaluations. */
export function operatorKey(tenantId: string): TestKey {
  return testKey(tenantId, [ANALYTICS, ADMIN], true);
}

export interface SeededInference {
  tenantId: string;
  inferenceId?: string;
  functionName: string;
  variantName?: string;
  model?: string;
  tags?: Record<string, string>;
  occurredAt: Date;
  input?: string;
  output?: string;
  /** By evaluator id. */
  verdicts: Record<string, Partial<StoredVerdict> & { score: number }>;
}

export function completedEvent(seed: SeededInference): inference.InferenceCompleted {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: seed.inferenceId ?? uniqueName('inf'),
    tenantId: seed.tenantId,
    functionName: seed.functionName,
    variantName: seed.variantName ?? 'v1',
    model: seed.model ?? 'sim-small',
    status: inference.InferenceStatus.INFERENCE_STATUS_OK,
    occurredAt: seed.occurredAt,
    tags: seed.tags ?? {},
    inputMessages: [
      common.ChatMessage.fromPartial({
        role: common.MessageRole.MESSAGE_ROLE_SYSTEM,
        content: 'You help shoppers.',
      }),
      common.ChatMessage.fromPartial({
        role: common.MessageRole.MESSAGE_ROLE_USER,
        content: seed.input ?? 'hello',
      }),
    ],
    outputText: seed.output ?? 'an answer',
  });
}

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

/** A promise-based EvaluationService client calling with a given key. */
export class QueryClient {
  readonly client: evaluation.EvaluationServiceClient;

  constructor(address: string) {
    this.client = new evaluation.EvaluationServiceClient(
      address,
      grpc.credentials.createInsecure(),
    );
  }

  private unary<Req, Res>(method: Unary<Req, Res>, request: Req, token: string): Promise<Res> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) =>
      method.call(this.client, request, metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  }

  list(
    request: Partial<evaluation.ListEvaluationsRequest>,
    token: string,
  ): Promise<evaluation.ListEvaluationsResponse> {
    return this.unary(
      this.client.listEvaluations,
      evaluation.ListEvaluationsRequest.fromPartial(request),
      token,
    );
  }

  aggregate(
    request: Partial<evaluation.AggregateEvaluationsRequest>,
    token: string,
  ): Promise<evaluation.AggregateEvaluationsResponse> {
    return this.unary(
      this.client.aggregateEvaluations,
      evaluation.AggregateEvaluationsRequest.fromPartial(request),
      token,
    );
  }

  worst(
    request: Partial<evaluation.WorstInferencesRequest>,
    token: string,
  ): Promise<evaluation.WorstInferencesResponse> {
    return this.unary(
      this.client.worstInferences,
      evaluation.WorstInferencesRequest.fromPartial(request),
      token,
    );
  }

  failures(
    request: Partial<evaluation.AnalyzeFailuresRequest>,
    token: string,
  ): Promise<evaluation.AnalyzeFailuresResponse> {
    return this.unary(
      this.client.analyzeFailures,
      evaluation.AnalyzeFailuresRequest.fromPartial(request),
      token,
    );
  }

  /** The export's chunks, in order. */
  exportChunks(
    request: Partial<evaluation.ExportEvaluationsRequest>,
    token: string,
  ): Promise<Buffer[]> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const call = this.client.exportEvaluations(
      evaluation.ExportEvaluationsRequest.fromPartial(request),
      metadata,
    );
    const chunks: Buffer[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (message: evaluation.ExportEvaluationsResponse) =>
        chunks.push(Buffer.from(message.chunk)),
      );
      call.on('error', reject);
      call.on('end', () => resolve(chunks));
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The evaluation service started in-process, its store and the keys snapshot it follows. */
export class QueryDeployment extends QueryClient {
  private constructor(
    readonly app: EvaluationApp,
    readonly prefix: string,
    readonly bus: Bus,
    readonly store: Store,
    private readonly buckets: SnapshotBuckets,
  ) {
    super(`127.0.0.1:${app.port}`);
  }

  static async start(): Promise<QueryDeployment> {
    const prefix = uniqueName('evq');
    const { natsUrl, mongoUrl } = testServers();
    const config = loadConfig(configShape, {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      KEEL_BUS_PREFIX: prefix,
      KEEL_DB_PREFIX: prefix,
      KEEL_BIND_HOST: '127.0.0.1',
      KEEL_EVALUATION_PORT: '0',
      KEEL_EVALUATION_ACK_WAIT_MS: '1000',
    });
    const logger = pino({ level: 'silent' });
    const app = await startEvaluation(config, logger);
    const bus = await connectBus({ servers: natsUrl, name: 'evaluation-test', prefix, logger });
    const store = await connectStore({ url: mongoUrl, dbPrefix: prefix, service: 'evaluation' });
    return new QueryDeployment(app, prefix, bus, store, await openSnapshotBuckets(bus));
  }

  /** Publishes the keys and waits until the service authenticates with them. */
  async publishKeys(keys: TestKey[]): Promise<void> {
    const snapshot = router.KeysSnapshot.fromPartial({ keys: keys.map((key) => key.record) });
    await this.buckets.keys.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(snapshot).finish());
    const last = keys.at(-1);
    if (!last) return;
    await eventually(
      () =>
        this.list({}, last.token).then(
          () => true,
          (error: grpc.ServiceError) =>
            error.code !== grpc.status.UNAVAILABLE && error.code !== grpc.status.UNAUTHENTICATED,
        ),
      { what: 'the keys snapshot to be applied' },
    );
  }

  /** Stores the inference and its evaluations through the write API the consumer uses. */
  async seed(seed: SeededInference): Promise<inference.InferenceCompleted> {
    const event = completedEvent(seed);
    await recordInference(this.store, inferenceDocumentOf(event, event, new Date()));
    for (const [evaluator, verdict] of Object.entries(seed.verdicts)) {
      const stored: StoredVerdict = {
        label: verdict.label ?? (verdict.score >= 0.5 ? 'pass' : 'fail'),
        reason: verdict.reason ?? `scored ${verdict.score}`,
        failed: verdict.failed ?? verdict.score < 0.5,
        score: verdict.score,
      };
      await recordEvaluation(
        this.store,
        evaluationDocumentOf(event, evaluator, stored, new Date()),
      );
    }
    return event;
  }

  async stop(): Promise<void> {
    this.close();
    await this.app.stop();
    await this.store.db.dropDatabase();
    await this.store.close();
    await this.bus.drain();
  }
}
