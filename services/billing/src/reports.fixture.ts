// The billing service on the real servers for the BillingService tests: started in-process with
// its own bus prefix and database, the keys snapshot a router would publish, the catalog
// versions, and a promise-based client.
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { builtinCatalog } from '@keel/catalog';
import { loadConfig } from '@keel/config';
import { billing, common, events, inference, router, streamOf } from '@keel/contracts';
import { type IssuedKey, issueKey } from '@keel/kit';
import { SNAPSHOT_KEY, catalogVersionKey, openSnapshotBuckets } from '@keel/snapshots';
import { type Store, connectStore } from '@keel/store';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Collection } from 'mongodb';
import pino from 'pino';
import { type BillingApp, startBilling } from './app';
import { configShape } from './config';
import { BILLING_DURABLE } from './consumers/inference-completed';
import { LEDGER, type LedgerDocument } from './store/ledger';
import { ROLLUPS, type RollupDocument } from './store/rollups';

const { API_KEY_SCOPE_ANALYTICS: ANALYTICS, API_KEY_SCOPE_ADMIN: ADMIN } = router.ApiKeyScope;

export type TestKey = IssuedKey;

export function analyticsKey(tenantId: string, operator = false): TestKey {
  return issueKey(tenantId, operator ? [ANALYTICS, ADMIN] : [ANALYTICS], operator);
}

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

/** An inference served by `model` after one failed call to sim-large that read the prompt. */
export function billableEvent(fields: {
  tenantId: string;
  functionName: string;
  occurredAt: Date;
  model?: string;
  variantName?: string;
  inferenceId?: string;
  catalogVersion?: bigint;
}): inference.InferenceCompleted {
  const served = common.Usage.fromPartial({
    inputTokens: 1_000n,
    cachedInputTokens: 100n,
    outputTokens: 300n,
  });
  return inference.InferenceCompleted.fromPartial({
    inferenceId: fields.inferenceId ?? uniqueName('inf'),
    tenantId: fields.tenantId,
    functionName: fields.functionName,
    variantName: fields.variantName ?? 'default',
    model: fields.model ?? 'sim-small',
    attempts: [
      { model: 'sim-large', provider: 'sim', status: FAILED, usage: { inputTokens: 1_000n } },
      { model: fields.model ?? 'sim-small', provider: 'sim', status: OK, usage: served },
    ],
    usage: served,
    catalogVersion: fields.catalogVersion ?? 1n,
    status: OK,
    occurredAt: fields.occurredAt,
  });
}

/** An answer from the cache: no provider call, and what the original inference cost. */
export function cacheHitEvent(fields: {
  tenantId: string;
  functionName: string;
  occurredAt: Date;
  savedNanoUsd: bigint;
  semantic?: boolean;
}): inference.InferenceCompleted {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inf'),
    tenantId: fields.tenantId,
    functionName: fields.functionName,
    variantName: 'default',
    model: 'sim-small',
    catalogVersion: 1n,
    status: OK,
    occurredAt: fields.occurredAt,
    cacheHit: { savedNanoUsd: fields.savedNanoUsd, semantic: fields.semantic ?? false },
  });
}

/** A request whose filter names only what it narrows. */
type WithFilter<Req extends { filter?: billing.UsageFilter }> = Omit<Partial<Req>, 'filter'> & {
  filter?: Partial<billing.UsageFilter>;
};

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export class ReportsDeployment {
  readonly client: billing.BillingServiceClient;

  private constructor(
    readonly app: BillingApp,
    readonly prefix: string,
    readonly bus: Bus,
    readonly store: Store,
  ) {
    this.client = new billing.BillingServiceClient(this.address, grpc.credentials.createInsecure());
  }

  get address(): string {
    return `127.0.0.1:${this.app.port}`;
  }

  /** Billing with the built-in catalog as version 1; `env` overrides its settings. */
  static async start(env: Record<string, string> = {}): Promise<ReportsDeployment> {
    const prefix = uniqueName('billrep');
    const { natsUrl, mongoUrl } = testServers();
    const logger = pino({ level: 'silent' });
    const bus = await connectBus({ servers: natsUrl, name: 'billing-test', prefix, logger });
    await bus.ensureStreams(['inference', 'billing']);
    const store = await connectStore({ url: mongoUrl, dbPrefix: prefix, service: 'billing' });
    const config = loadConfig(configShape, {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      KEEL_BUS_PREFIX: prefix,
      KEEL_DB_PREFIX: prefix,
      KEEL_BIND_HOST: '127.0.0.1',
      KEEL_BILLING_PORT: '0',
      KEEL_BILLING_ACK_WAIT_MS: '1000',
      ...env,
    });
    const app = await startBilling(config, logger);
    const deployment = new ReportsDeployment(app, prefix, bus, store);
    await deployment.publishCatalog(builtinCatalog(1n));
    return deployment;
  }

  get ledger(): Collection<LedgerDocument> {
    return this.store.collection<LedgerDocument>(LEDGER);
  }

  get rollups(): Collection<RollupDocument> {
    return this.store.collection<RollupDocument>(ROLLUPS);
  }

  async publishCatalog(catalog: router.ModelCatalog): Promise<void> {
    const { catalog: bucket } = await openSnapshotBuckets(this.bus);
    await bucket.put(
      catalogVersionKey(catalog.version),
      router.ModelCatalog.encode(catalog).finish(),
    );
  }

  /** Publishes the keys and waits until billing authenticates the last one. */
  async publishKeys(keys: TestKey[]): Promise<void> {
    const { keys: bucket } = await openSnapshotBuckets(this.bus);
    const snapshot = router.KeysSnapshot.fromPartial({ keys: keys.map((key) => key.record) });
    await bucket.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(snapshot).finish());
    const last = keys.at(-1)!;
    await eventually(
      () =>
        this.usage({}, last.token).then(
          () => true,
          (error: grpc.ServiceError) =>
            error.code !== grpc.status.UNAVAILABLE && error.code !== grpc.status.UNAUTHENTICATED,
        ),
      { what: 'the keys snapshot to be applied' },
    );
  }

  /** Publishes the events and waits until billing has settled every one of them. */
  async bill(...completed: inference.InferenceCompleted[]): Promise<void> {
    let last = 0;
    for (const event of completed) {
      last = (await this.bus.publish(events.inferenceCompleted, event, { msgId: uniqueName('m') }))
        .seq;
    }
    await this.settledThrough(last);
  }

  /** Resolves once billing has acked or terminated every message up to `seq`. */
  async settledThrough(seq: number): Promise<void> {
    const jsm = await jetstreamManager(this.bus.connection);
    await eventually(
      async () => {
        const info = await jsm.consumers.info(
          streamOf('inference', this.prefix).name,
          BILLING_DURABLE,
        );
        return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0;
      },
      { what: `billing to settle message ${seq}`, timeoutMs: 20_000 },
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

  usage(request: WithFilter<billing.GetUsageRequest>, token: string) {
    return this.unary<billing.GetUsageRequest, billing.GetUsageResponse>(
      this.client.getUsage,
      billing.GetUsageRequest.fromPartial(request),
      token,
    );
  }

  top(request: WithFilter<billing.TopFunctionsRequest>, token: string) {
    return this.unary<billing.TopFunctionsRequest, billing.TopFunctionsResponse>(
      this.client.topFunctions,
      billing.TopFunctionsRequest.fromPartial(request),
      token,
    );
  }

  reconcile(request: Partial<billing.ReconcileRequest>, token: string) {
    return this.unary<billing.ReconcileRequest, billing.ReconcileResponse>(
      this.client.reconcile,
      billing.ReconcileRequest.fromPartial(request),
      token,
    );
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.app.stop();
    await this.store.db.dropDatabase();
    await this.store.close();
    await this.bus.drain();
  }
}
