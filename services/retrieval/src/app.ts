// The retrieval service: collections of a tenant's documents, chunked, embedded and stored in
// Mongo, searched through in-memory lexical and vector indexes that every replica rebuilds from
// the store at start and keeps converged by following `keel.retrieval.changed`.
import { type RunningService, startService } from '@keel/kit';
import { SnapshotFollower, openSnapshotBuckets } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import type { RetrievalConfig } from './config';
import { markCollectionChanges } from './consumers/collection-changed';
import { DEFAULT_FUSION } from './domain/fusion';
import { Embeddings } from './embeddings';
import { IndexRegistry } from './index/index-registry';
import { RemoteEmbedderRegistry } from './providers/registry';
import { bindRetrievalService } from './rpc/server';
import { retrievalIndexes } from './store/indexes';

export type RetrievalApp = RunningService;

export function startRetrieval(config: RetrievalConfig, logger: Logger): Promise<RetrievalApp> {
  const options = { service: 'retrieval', port: config.KEEL_RETRIEVAL_PORT, env: config, logger };
  return startService(options, async ({ store, bus, server, onStop }) => {
    await store.ensureIndexes(retrievalIndexes);
    await bus.ensureStreams(['retrieval']);
    // The keys snapshot authenticates callers; the policy snapshot names the providers that
    // serve remote embedding models.
    const snapshots = await SnapshotFollower.follow(await openSnapshotBuckets(bus), logger);
    const remote = new RemoteEmbedderRegistry(config.KEEL_EMBEDDING_TIMEOUT_MS);
    snapshots.onPolicySnapshot((snapshot) => remote.update(snapshot.providers));
    const indexes = new IndexRegistry(store);
    const changes = await markCollectionChanges(bus, indexes, logger);
    onStop(async () => {
      snapshots.stop();
      await changes.stop();
      await remote.close();
    });
    await indexes.loadAll();
    await changes.start();
    const embeddings = new Embeddings(store, (model) => remote.embedderFor(model));
    bindRetrievalService(server, {
      store,
      bus,
      embeddings,
      indexes,
      fusion: DEFAULT_FUSION,
      keyRing: snapshots.keyRing,
      logger,
    });
  });
}
