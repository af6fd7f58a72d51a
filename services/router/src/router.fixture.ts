// Starts a router in-process on the real test servers, with its own names, and calls it over
// real gRPC. Shared by the router's integration tests.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectBus, type Bus } from '@keel/bus';
import { loadConfig } from '@keel/config';
import { router } from '@keel/contracts';
import { SNAPSHOT_KEY, openSnapshotBuckets, type SnapshotBuckets } from '@keel/snapshots';
import { testServers, uniqueName } from '@keel/testing';
import pino, { type Logger } from 'pino';
import { startRouter, type RouterApp } from './app';
import { configShape, type RouterConfig } from './config';

export const silentLogger = pino({ level: 'silent' });

/** A router's configuration on the test servers, under `prefix` for both bus and database. */
export function testConfig(prefix: string, env: Record<string, string> = {}): RouterConfig {
  const { natsUrl, mongoUrl } = testServers();
  return loadConfig(configShape, {
    NATS_URL: natsUrl,
    MONGO_URL: mongoUrl,
    KEEL_BUS_PREFIX: prefix,
    KEEL_DB_PREFIX: prefix,
    KEEL_BIND_HOST: '127.0.0.1',
    KEEL_ROUTER_PORT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** A temporary directory for bootstrap key files; `remove` deletes it. */
export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keel-router-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestRouter {
  app: RouterApp;
  prefix: string;
  /** The operator admin key the router bootstrapped. */
  operatorToken: string;
  client: RouterClient;
  stop(): Promise<void>;
}

/**
 * A router with a fresh prefix (or `prefix`, to run a second replica or restart one) and an
 * operator key, logging to `logger`.
 */
export async function startTestRouter(
  prefix = uniqueName('rt'),
  logger: Logger = silentLogger,
): Promise<TestRouter> {
  const keys = await tempDir();
  const keyFile = path.join(keys.dir, 'admin-key');
  const app = await startRouter(testConfig(prefix, { KEEL_BOOTSTRAP_KEY_FILE: keyFile }), logger);
  const client = routerClient(app.port);
  return {
    app,
    prefix,
    operatorToken: (await readFile(keyFile, 'utf8')).trim(),
    client,
    stop: async () => {
      client.close();
      await app.stop();
      await keys.remove();
    },
  };
}

/** A RouterService client whose calls return promises and carry `token` (none when null). */
export class RouterClient {
  private readonly client: router.RouterServiceClient;

  constructor(address: string) {
    this.client = new router.RouterServiceClient(address, grpc.credentials.createInsecure());
  }

  createTenant(token: string | null, request: Partial<router.CreateTenantRequest>) {
    return this.call<router.CreateTenantResponse>(token, (metadata, done) =>
      this.client.createTenant(
        { ...router.CreateTenantRequest.create(), ...request },
        metadata,
        done,
      ),
    );
  }

  createApiKey(token: string | null, request: Partial<router.CreateApiKeyRequest>) {
    return this.call<router.CreateApiKeyResponse>(token, (metadata, done) =>
      this.client.createApiKey(
        { ...router.CreateApiKeyRequest.create(), ...request },
        metadata,
        done,
      ),
    );
  }

  revokeApiKey(token: string | null, keyId: string) {
    return this.call<router.RevokeApiKeyResponse>(token, (metadata, done) =>
      this.client.revokeApiKey({ keyId }, metadata, done),
    );
  }

  putFunction(token: string | null, request: Partial<router.PutFunctionRequest>) {
    return this.call<router.PutFunctionResponse>(token, (metadata, done) =>
      this.client.putFunction(
        { ...router.PutFunctionRequest.create(), ...request },
        metadata,
        done,
      ),
    );
  }

  putTenantSettings(token: string | null, request: Partial<router.PutTenantSettingsRequest>) {
    return this.call<router.PutTenantSettingsResponse>(token, (metadata, done) =>
      this.client.putTenantSettings(
        { ...router.PutTenantSettingsRequest.create(), ...request },
        metadata,
        done,
      ),
    );
  }

  route(token: string | null, request: Partial<router.RouteRequest>) {
    return this.call<router.RouteResponse>(token, (metadata, done) =>
      this.client.route({ ...router.RouteRequest.create(), ...request }, metadata, done),
    );
  }

  putProvider(token: string | null, provider: Partial<router.Provider>) {
    return this.call<router.PutProviderResponse>(token, (metadata, done) =>
      this.client.putProvider({ provider: router.Provider.fromPartial(provider) }, metadata, done),
    );
  }

  listProviders(token: string | null) {
    return this.call<router.ListProvidersResponse>(token, (metadata, done) =>
      this.client.listProviders({}, metadata, done),
    );
  }

  putModel(token: string | null, model: router.Model | undefined, effectiveAt?: Date) {
    return this.call<router.PutModelResponse>(token, (metadata, done) =>
      this.client.putModel({ model, effectiveAt }, metadata, done),
    );
  }

  getCatalog(token: string | null) {
    return this.call<router.GetCatalogResponse>(token, (metadata, done) =>
      this.client.getCatalog({}, metadata, done),
    );
  }

  putBudget(token: string | null, budget: Partial<router.Budget>) {
    return this.call<router.PutBudgetResponse>(token, (metadata, done) =>
      this.client.putBudget({ budget: router.Budget.fromPartial(budget) }, metadata, done),
    );
  }

  deleteBudget(token: string | null, request: Partial<router.DeleteBudgetRequest>) {
    return this.call<router.DeleteBudgetResponse>(token, (metadata, done) =>
      this.client.deleteBudget(router.DeleteBudgetRequest.fromPartial(request), metadata, done),
    );
  }

  listBudgets(token: string | null, tenantId = '') {
    return this.call<router.ListBudgetsResponse>(token, (metadata, done) =>
      this.client.listBudgets({ tenantId }, metadata, done),
    );
  }

  close(): void {
    this.client.close();
  }

  private call<Res>(
    token: string | null,
    start: (
      metadata: grpc.Metadata,
      done: (error: grpc.ServiceError | null, response: Res) => void,
    ) => void,
  ): Promise<Res> {
    const metadata = new grpc.Metadata();
    if (token !== null) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) =>
      start(metadata, (error, response) => (error ? reject(error) : resolve(response))),
    );
  }
}

export function routerClient(port: number): RouterClient {
  return new RouterClient(`127.0.0.1:${port}`);
}

/** Reads the snapshots a router published under `prefix`, straight from KV. */
export class SnapshotReader {
  private constructor(
    private readonly bus: Bus,
    readonly buckets: SnapshotBuckets,
  ) {}

  static async open(prefix: string): Promise<SnapshotReader> {
    const bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'router-test',
      prefix,
      logger: silentLogger,
    });
    return new SnapshotReader(bus, await openSnapshotBuckets(bus));
  }

  async policy(): Promise<{ snapshot: router.PolicySnapshot; version: bigint }> {
    const entry = await this.buckets.policy.get(SNAPSHOT_KEY);
    if (!entry) throw new Error('no policy snapshot');
    return { snapshot: router.PolicySnapshot.decode(entry.value), version: entry.revision };
  }

  async keys(): Promise<{ snapshot: router.KeysSnapshot; version: bigint }> {
    const entry = await this.buckets.keys.get(SNAPSHOT_KEY);
    if (!entry) throw new Error('no keys snapshot');
    return { snapshot: router.KeysSnapshot.decode(entry.value), version: entry.revision };
  }

  close(): Promise<void> {
    return this.bus.drain();
  }
}

/** The status code a rejected call failed with. */
export async function codeOf(call: Promise<unknown>): Promise<grpc.status> {
  try {
    await call;
  } catch (error) {
    return (error as grpc.ServiceError).code;
  }
  throw new Error('the call succeeded');
}
