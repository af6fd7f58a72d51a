// Publishes the policy and keys snapshots. Each is rebuilt from the store and written with
// compare-and-set on the revision read first: a writer that loses the race re-reads and
// rebuilds, so the snapshot always ends up holding every writer's change.
import { KvConflictError, type BusLogger, type KvBucket } from '@keel/bus';
import { router } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import { SNAPSHOT_KEY, type SnapshotBuckets, type SnapshotFollower } from '@keel/snapshots';
import {
  buildKeysSnapshot,
  buildPolicySnapshot,
  sameSnapshot,
  type SnapshotCodec,
} from '../domain/snapshots';
import type { RouterStore } from '../store/router-store';
import type { Catalogs } from './catalog';

// Losing this many races in a row means something keeps rewriting the key: give up loudly.
const MAX_ATTEMPTS = 20;
// How long a write waits for this router to apply its own snapshot, and how often it looks.
const CATCH_UP_MS = 5_000;
const CATCH_UP_POLL_MS = 5;

export class SnapshotPublisher {
  constructor(
    private readonly deps: {
      buckets: SnapshotBuckets;
      store: RouterStore;
      catalogs: Catalogs;
      follower: SnapshotFollower;
      logger: BusLogger;
    },
  ) {}

  /**
   * Publishes the policy snapshot if the store has changed it; returns its version once this
   * router routes with it.
   */
  async publishPolicy(): Promise<bigint> {
    const { buckets, store, catalogs, follower } = this.deps;
    const version = await this.publish(
      'policy',
      buckets.policy,
      router.PolicySnapshot,
      async () => {
        const now = new Date();
        const [catalog, scheduled, tenants, functions, providers, settings, budgets] =
          await Promise.all([
            catalogs.current(now),
            catalogs.scheduled(now),
            store.tenants.all(),
            store.functions.all(),
            store.providers.all(),
            store.tenantSettings.all(),
            store.budgets.all(),
          ]);
        return buildPolicySnapshot(
          catalog,
          tenants,
          functions,
          providers,
          settings,
          budgets,
          scheduled,
        );
      },
    );
    await this.caughtUp('policy', version, () => follower.policy?.version ?? null);
    return version;
  }

  /**
   * Publishes the keys snapshot if the store has changed it; returns its version once this
   * router authenticates with it.
   */
  async publishKeys(): Promise<bigint> {
    const { buckets, store, follower } = this.deps;
    const version = await this.publish('keys', buckets.keys, router.KeysSnapshot, async () =>
      buildKeysSnapshot(await store.apiKeys.active()),
    );
    await this.caughtUp('keys', version, () => follower.keyRing.version);
    return version;
  }

  async publishAll(): Promise<{ policyVersion: bigint; keysVersion: bigint }> {
    const [policyVersion, keysVersion] = await Promise.all([
      this.publishPolicy(),
      this.publishKeys(),
    ]);
    return { policyVersion, keysVersion };
  }

  private async publish<T extends { publishedAt: Date | undefined }>(
    name: string,
    bucket: KvBucket,
    codec: SnapshotCodec<T>,
    build: () => Promise<T>,
  ): Promise<bigint> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      // Read the revision before the store, so what is built is at least as new as it.
      const published = await bucket.get(SNAPSHOT_KEY);
      const snapshot = await build();
      if (published && sameSnapshot(codec, published.value, snapshot)) return published.revision;
      const bytes = codec.encode({ ...snapshot, publishedAt: new Date() }).finish();
      try {
        const version = published
          ? await bucket.update(SNAPSHOT_KEY, bytes, published.revision)
          : await bucket.create(SNAPSHOT_KEY, bytes);
        this.deps.logger.info(
          { snapshot: name, version: version.toString() },
          'snapshot published',
        );
        return version;
      } catch (error) {
        if (!(error instanceof KvConflictError)) throw error;
      }
    }
    throw new UnavailableError(`the ${name} snapshot kept changing; retry shortly`);
  }

  /** Waits until this router's follower applied `version`, so the caller's next call sees it. */
  private async caughtUp(
    name: string,
    version: bigint,
    applied: () => bigint | null,
  ): Promise<void> {
    const deadline = Date.now() + CATCH_UP_MS;
    while (Date.now() < deadline) {
      const current = applied();
      if (current !== null && current >= version) return;
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
    }
    this.deps.logger.warn(
      { snapshot: name, version: version.toString(), waited_ms: CATCH_UP_MS },
      'published snapshot not applied by this router in time',
    );
  }
}
