// What the integration tests share: an inference service started in-process on its own bus
// prefix, the snapshots a router would publish, and clients for its gRPC services.
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { builtinCatalog } from '@keel/catalog';
import { loadConfig } from '@keel/config';
import { common, durableNameOf, events, inference, router } from '@keel/contracts';
import { type IssuedKey, issueKey } from '@keel/kit';
import { SNAPSHOT_KEY, type SnapshotBuckets, openSnapshotBuckets } from '@keel/snapshots';
import { createLogger } from '@keel/telemetry';
import { testServers, uniqueName } from '@keel/testing';
import { type InferenceApp, startInference } from './app';
import { configShape } from './config';
import { healthStatus } from '@keel/local';

export const { API_KEY_SCOPE_INFERENCE: INFERENCE, API_KEY_SCOPE_FEEDBACK: FEEDBACK } =
  router.ApiKeyScope;
const logger = createLogger('inference-test', 'silent');

export interface TestFunction {
  name: string;
  chain: string[];
  defaultMaxTokens?: number;
  /** Unset: its answers are not cached. */
  cache?: router.CachePolicy;
  guardrails?: router.Guardrails;
  retrieval?: router.RetrievalConfig;
  semanticCache?: router.SemanticCachePolicy;
}

/** What a snapshot carries beyond the builtin catalog: the operator's providers and models. */
export interface TestOperatorData {
  providers?: Array<Partial<router.Provider>>;
  models?: Array<Partial<router.Model>>;
  /** What the tenant sets for all its functions. */
  tenantSettings?: router.TenantSettings;
}

/**
 * A policy snapshot in which `tenantId` owns `functions` (the first is the default), with the
 * builtin catalog and the operator's providers and models.
 */
export function policySnapshot(
  tenantId: string,
  functions: TestFunction[],
  operator: TestOperatorData = {},
): Uint8Array {
  const catalog = builtinCatalog(1n);
  return router.PolicySnapshot.encode(
    router.PolicySnapshot.fromPartial({
      catalog: { ...catalog, models: [...catalog.models, ...(operator.models ?? [])] },
      providers: operator.providers ?? [],
      tenants: [
        {
          tenantId,
          defaultFunctionName: functions[0].name,
          functions: functions.map((fn) => ({
            tenantId,
            functionName: fn.name,
            variants: [
              {
                variantName: `${fn.name}.v1`,
                modelChain: fn.chain,
                defaultMaxTokens: fn.defaultMaxTokens ?? 0,
              },
            ],
            policy: { fixed: { variantName: `${fn.name}.v1` } },
            cache: fn.cache,
            guardrails: fn.guardrails,
            retrieval: fn.retrieval,
            semanticCache: fn.semanticCache,
          })),
          settings: operator.tenantSettings,
        },
      ],
    }),
  ).finish();
}

export type TestKey = IssuedKey;

export function testKey(tenantId: string, scopes: router.ApiKeyScope[]): TestKey {
  return issueKey(tenantId, scopes);
}

export function keysSnapshot(keys: TestKey[]): Uint8Array {
  return router.KeysSnapshot.encode(
    router.KeysSnapshot.fromPartial({ keys: keys.map((key) => key.record) }),
  ).finish();
}

export function userAsks(...contents: string[]): common.ChatMessage[] {
  return contents.map((content) =>
    common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content }),
  );
}

export interface StreamResult {
  messages: inference.StreamResponse[];
  status: grpc.StatusObject;
}

/** An inference service on a bus prefix of its own, with a test connection to the same bus. */
export class TestInference {
  private readonly clients: grpc.Client[] = [];
  private stopped = false;
  private inferenceClient!: inference.InferenceServiceClient;

  private constructor(
    readonly app: InferenceApp,
    readonly bus: Bus,
    readonly buckets: SnapshotBuckets,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TestInference> {
    const { natsUrl, mongoUrl } = testServers();
    // A second app given the first's KEEL_BUS_PREFIX shares its buckets (a second replica).
    const prefix = env.KEEL_BUS_PREFIX ?? uniqueName('inf');
    const config = loadConfig(configShape, {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      KEEL_BUS_PREFIX: prefix,
      KEEL_DB_PREFIX: prefix,
      KEEL_BIND_HOST: '127.0.0.1',
      KEEL_INFERENCE_PORT: '0',
      LOG_LEVEL: 'silent',
      ...env,
    });
    const app = await startInference(config, logger);
    // The NATS server the service uses, which `env` may name (a server of the test's own).
    const bus = await connectBus({
      servers: config.NATS_URL,
      name: 'inference-test',
      prefix,
      logger,
    });
    const test = new TestInference(app, bus, await openSnapshotBuckets(bus));
    const address = `127.0.0.1:${app.port}`;
    const insecure = grpc.credentials.createInsecure();
    test.inferenceClient = new inference.InferenceServiceClient(address, insecure);
    test.clients.push(test.inferenceClient);
    return test;
  }

  async publish(policy: Uint8Array | null, keys: Uint8Array | null): Promise<void> {
    if (policy) await this.buckets.policy.put(SNAPSHOT_KEY, policy);
    if (keys) await this.buckets.keys.put(SNAPSHOT_KEY, keys);
  }

  complete(
    request: Partial<inference.CompleteRequest>,
    token: string | null,
    options: grpc.CallOptions = {},
  ): Promise<inference.CompleteResponse> {
    const metadata = new grpc.Metadata();
    if (token !== null) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) =>
      this.inferenceClient.complete(
        inference.CompleteRequest.fromPartial(request),
        metadata,
        options,
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
  }

  /** Calls Stream and collects every message until the stream ends, with its status. */
  stream(
    request: Partial<inference.StreamRequest>,
    token: string | null,
    options: grpc.CallOptions & {
      /** Called with each message; may cancel the call. */
      onMessage?: (
        message: inference.StreamResponse,
        call: grpc.ClientReadableStream<unknown>,
      ) => void;
    } = {},
  ): Promise<StreamResult> {
    const metadata = new grpc.Metadata();
    if (token !== null) metadata.set('authorization', `Bearer ${token}`);
    const { onMessage, ...callOptions } = options;
    const call = this.inferenceClient.stream(
      inference.StreamRequest.fromPartial(request),
      metadata,
      callOptions,
    );
    const messages: inference.StreamResponse[] = [];
    return new Promise((resolve) => {
      call.on('data', (message: inference.StreamResponse) => {
        messages.push(message);
        onMessage?.(message, call);
      });
      // A stream ends with its status: OK after its last message, or the error that ended it.
      call.on('status', (status: grpc.StatusObject) => resolve({ messages, status }));
      call.on('error', () => undefined);
    });
  }

  health(): Promise<string> {
    return healthStatus(`127.0.0.1:${this.app.port}`);
  }

  /** Collects every InferenceCompleted on the stream, by inference id, with a new durable consumer. */
  async collectEvents(): Promise<Map<string, inference.InferenceCompleted>> {
    const collected = new Map<string, inference.InferenceCompleted>();
    await this.bus.consume(events.inferenceCompleted, {
      durable: durableNameOf(uniqueName('test'), events.inferenceCompleted),
      ackWaitMs: 2_000,
      handler: async (event) => void collected.set(event.inferenceId, event),
    });
    return collected;
  }

  async stopApp(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.app.stop();
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.close();
    await this.stopApp();
    await this.bus.drain(); // stops the test's consumers too
  }
}
