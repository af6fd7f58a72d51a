// The retrieval service on the real servers for its tests: replicas started in-process on one
// bus and database prefix, the keys snapshot a router would publish, and a promise-based client.
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { loadConfig } from '@keel/config';
import { retrieval, router } from '@keel/contracts';
import { type IssuedKey, issueKey } from '@keel/kit';
import { SNAPSHOT_KEY, type SnapshotBuckets, openSnapshotBuckets } from '@keel/snapshots';
import { type Store, connectStore } from '@keel/store';
import { eventually, testServers, uniqueName } from '@keel/testing';
import pino from 'pino';
import { type RetrievalApp, startRetrieval } from './app';
import { configShape } from './config';

const { API_KEY_SCOPE_INFERENCE: INFERENCE, API_KEY_SCOPE_ADMIN: ADMIN } = router.ApiKeyScope;

export type TestKey = IssuedKey;

/** A key of `tenantId` that may read and write its collections. */
export function testKey(tenantId: string, scopes = [INFERENCE, ADMIN]): TestKey {
  return issueKey(tenantId, scopes);
}

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

/** A RetrievalService client calling with one key. */
export class RetrievalClient {
  private readonly client: retrieval.RetrievalServiceClient;

  constructor(
    address: string,
    private readonly token: string,
  ) {
    this.client = new retrieval.RetrievalServiceClient(address, grpc.credentials.createInsecure());
  }

  private call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.token}`);
    return new Promise((resolve, reject) =>
      method.call(this.client, request, metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  }

  createCollection(request: {
    collectionName: string;
    chunking?: Partial<retrieval.ChunkingConfig>;
    embeddingModel?: string;
  }): Promise<retrieval.CreateCollectionResponse> {
    const message = retrieval.CreateCollectionRequest.fromPartial({
      collectionName: request.collectionName,
      chunking: retrieval.ChunkingConfig.fromPartial(request.chunking ?? {}),
      embeddingModel: request.embeddingModel ?? '',
    });
    return this.call(this.client.createCollection, message);
  }

  listCollections(): Promise<retrieval.ListCollectionsResponse> {
    return this.call(this.client.listCollections, retrieval.ListCollectionsRequest.fromPartial({}));
  }

  deleteCollection(collectionName: string): Promise<retrieval.DeleteCollectionResponse> {
    const message = retrieval.DeleteCollectionRequest.fromPartial({ collectionName });
    return this.call(this.client.deleteCollection, message);
  }

  ingest(
    collectionName: string,
    documents: Array<Partial<retrieval.Document>>,
  ): Promise<retrieval.IngestDocumentsResponse> {
    const message = retrieval.IngestDocumentsRequest.fromPartial({ collectionName, documents });
    return this.call(this.client.ingestDocuments, message);
  }

  deleteDocument(
    collectionName: string,
    documentId: string,
  ): Promise<retrieval.DeleteDocumentResponse> {
    const message = retrieval.DeleteDocumentRequest.fromPartial({ collectionName, documentId });
    return this.call(this.client.deleteDocument, message);
  }

  retrieve(request: Partial<retrieval.RetrieveRequest>): Promise<retrieval.RetrieveResponse> {
    return this.call(this.client.retrieve, retrieval.RetrieveRequest.fromPartial(request));
  }

  /** The chunk ids a query retrieves, best first. */
  async retrieveIds(request: Partial<retrieval.RetrieveRequest>): Promise<string[]> {
    const { chunks } = await this.retrieve(request);
    return chunks.map((scored) => scored.chunk?.chunkId ?? '');
  }

  embed(request: Partial<retrieval.EmbedRequest>): Promise<retrieval.EmbedResponse> {
    return this.call(this.client.embed, retrieval.EmbedRequest.fromPartial(request));
  }

  close(): void {
    this.client.close();
  }
}

/** Retrieval replicas sharing a bus and database prefix, the store, and the keys they accept. */
export class RetrievalDeployment {
  private readonly apps = new Set<RetrievalApp>();
  private readonly clients: RetrievalClient[] = [];

  private constructor(
    readonly prefix: string,
    readonly bus: Bus,
    readonly store: Store,
    private readonly buckets: SnapshotBuckets,
  ) {}

  static async create(): Promise<RetrievalDeployment> {
    const prefix = uniqueName('rt');
    const { natsUrl, mongoUrl } = testServers();
    const logger = pino({ level: 'silent' });
    const bus = await connectBus({ servers: natsUrl, name: 'retrieval-test', prefix, logger });
    const store = await connectStore({ url: mongoUrl, dbPrefix: prefix, service: 'retrieval' });
    return new RetrievalDeployment(prefix, bus, store, await openSnapshotBuckets(bus));
  }

  /** Publishes the keys every replica accepts. */
  async publishKeys(keys: TestKey[]): Promise<void> {
    const snapshot = router.KeysSnapshot.fromPartial({ keys: keys.map((key) => key.record) });
    await this.buckets.keys.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(snapshot).finish());
  }

  /** Publishes a policy snapshot naming these providers, as the router would. */
  async publishProviders(providers: Array<Partial<router.Provider>>): Promise<void> {
    const snapshot = router.PolicySnapshot.fromPartial({ catalog: { version: 1n }, providers });
    await this.buckets.policy.put(SNAPSHOT_KEY, router.PolicySnapshot.encode(snapshot).finish());
  }

  /** Starts a replica and waits until it authenticates `key` (published before). */
  async startReplica(key: TestKey): Promise<{ app: RetrievalApp; client: RetrievalClient }> {
    const { natsUrl, mongoUrl } = testServers();
    const config = loadConfig(configShape, {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      KEEL_BUS_PREFIX: this.prefix,
      KEEL_DB_PREFIX: this.prefix,
      KEEL_BIND_HOST: '127.0.0.1',
      KEEL_RETRIEVAL_PORT: '0',
    });
    const app = await startRetrieval(config, pino({ level: 'silent' }));
    this.apps.add(app);
    const client = this.clientOf(app, key);
    await eventually(
      () =>
        client.listCollections().then(
          () => true,
          (error: grpc.ServiceError) =>
            error.code !== grpc.status.UNAVAILABLE && error.code !== grpc.status.UNAUTHENTICATED,
        ),
      { what: 'the keys snapshot to be applied' },
    );
    return { app, client };
  }

  clientOf(app: RetrievalApp, key: TestKey): RetrievalClient {
    const client = new RetrievalClient(`127.0.0.1:${app.port}`, key.token);
    this.clients.push(client);
    return client;
  }

  async stopReplica(app: RetrievalApp): Promise<void> {
    this.apps.delete(app);
    await app.stop();
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    for (const app of this.apps) await app.stop();
    await this.store.db.dropDatabase();
    await this.store.close();
    await this.bus.drain();
  }
}
