// Follows the router's policy and keys snapshots, so a service authenticates and routes
// locally: no network hop per request, and it keeps serving from the last snapshot when the
// router is down.
import type { BusLogger, KvEntry } from '@keel/bus';
import { router } from '@keel/contracts';
import { KeyRing } from '@keel/kit';
import { Policy } from '@keel/routing';
import { type ObservableGauge, type ObservableResult, metrics } from '@opentelemetry/api';
import { SNAPSHOT_KEY, type SnapshotBuckets } from './buckets';

/** How often a follower reads both snapshots directly, besides watching them. */
export const DEFAULT_SNAPSHOT_RELOAD_MS = 30_000;

type SnapshotName = 'policy' | 'keys';

export class SnapshotFollower {
  readonly keyRing = new KeyRing();
  private currentPolicy: Policy | null = null;
  private readonly watches: Array<{ stop(): void }> = [];
  private readonly readyListeners: Array<() => void> = [];
  private readonly policyListeners: Array<(snapshot: router.PolicySnapshot) => void> = [];
  private currentSnapshot: router.PolicySnapshot | null = null;
  /** When the router published each snapshot in use, in ms since the epoch. */
  private readonly publishedAt = new Map<SnapshotName, number>();
  /** The newest revision handled (applied or rejected) of each snapshot. */
  private readonly handled = new Map<SnapshotName, bigint>();
  private reloadTimer: NodeJS.Timeout | null = null;
  private reloading = false;
  private readonly ageGauge = snapshotAgeGauge();
  private readonly observeAge = (result: ObservableResult) => {
    for (const [snapshot, at] of this.publishedAt) {
      // Clocks of two hosts may disagree by a little: an age is never negative.
      const ageSeconds = Math.max(0, (Date.now() - at) / 1_000);
      result.observe(ageSeconds, { 'keel.snapshot.name': snapshot });
    }
  };

  private constructor(
    private readonly buckets: SnapshotBuckets,
    private readonly logger: BusLogger,
  ) {}

  /**
   * Starts watching both snapshots; `ready` turns true once each has arrived. Every `reloadMs`
   * it also reads both directly and applies any newer than it holds, so an update the watch
   * missed (a revoked key) is applied within that time anyway.
   */
  static async follow(
    buckets: SnapshotBuckets,
    logger: BusLogger,
    options: { reloadMs?: number } = {},
  ): Promise<SnapshotFollower> {
    const follower = new SnapshotFollower(buckets, logger);
    follower.ageGauge.addCallback(follower.observeAge);
    follower.watches.push(
      await buckets.policy.watch(SNAPSHOT_KEY, (entry) => follower.onPolicy(entry)),
    );
    try {
      follower.watches.push(
        await buckets.keys.watch(SNAPSHOT_KEY, (entry) => follower.onKeys(entry)),
      );
    } catch (error) {
      follower.stop(); // the policy watch would otherwise run on with no one to stop it
      throw error;
    }
    follower.reloadTimer = setInterval(
      () => void follower.reload(),
      options.reloadMs ?? DEFAULT_SNAPSHOT_RELOAD_MS,
    );
    follower.reloadTimer.unref();
    return follower;
  }

  /** The newest policy snapshot, or null before the first one. */
  get policy(): Policy | null {
    return this.currentPolicy;
  }

  get ready(): boolean {
    return this.currentPolicy !== null && this.keyRing.version !== null;
  }

  /** Resolves once both snapshots have arrived. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyListeners.push(resolve));
  }

  /**
   * Calls `listener` with the policy snapshot in force, if one has arrived, and with each one
   * after it, before requests are routed by it. A listener that throws rejects that snapshot:
   * the previous one stays in force.
   */
  onPolicySnapshot(listener: (snapshot: router.PolicySnapshot) => void): void {
    if (this.currentSnapshot) listener(this.currentSnapshot);
    this.policyListeners.push(listener);
  }

  stop(): void {
    for (const watch of this.watches) watch.stop();
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    this.ageGauge.removeCallback(this.observeAge);
  }

  /** Reads both snapshots from KV and applies each one newer than the one handled last. */
  private async reload(): Promise<void> {
    if (this.reloading) return;
    this.reloading = true;
    try {
      const [policy, keys] = await Promise.all([
        this.buckets.policy.get(SNAPSHOT_KEY),
        this.buckets.keys.get(SNAPSHOT_KEY),
      ]);
      if (policy && this.isNew('policy', policy)) {
        this.logMissed('policy', policy);
        this.onPolicy(policy);
      }
      if (keys && this.isNew('keys', keys)) {
        this.logMissed('keys', keys);
        this.onKeys(keys);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'snapshot reload failed; the watches go on');
    } finally {
      this.reloading = false;
    }
  }

  private logMissed(snapshot: SnapshotName, entry: KvEntry): void {
    this.logger.warn(
      {
        snapshot,
        watched_version: this.handled.get(snapshot)?.toString() ?? null,
        reloaded_version: entry.revision.toString(),
      },
      'snapshot reload found a version the watch had not delivered: a missed update',
    );
  }

  /** True for a revision newer than any handled: each revision is applied once. */
  private isNew(snapshot: SnapshotName, entry: KvEntry): boolean {
    const handled = this.handled.get(snapshot);
    return handled === undefined || entry.revision > handled;
  }

  private onPolicy(entry: KvEntry | null): void {
    if (!entry) return; // a deleted snapshot leaves the last one in force
    // The reload may have applied this revision, or a newer one, before the watch delivered it.
    if (!this.isNew('policy', entry)) return;
    this.handled.set('policy', entry.revision);
    try {
      const snapshot = router.PolicySnapshot.decode(entry.value);
      const policy = Policy.from(snapshot, entry.revision);
      for (const listener of this.policyListeners) listener(snapshot);
      this.currentSnapshot = snapshot;
      this.currentPolicy = policy;
      this.publishedAt.set('policy', (snapshot.publishedAt ?? new Date()).getTime());
      this.logger.info({ policy_version: entry.revision.toString() }, 'policy snapshot applied');
    } catch (error) {
      this.logger.error(
        { policy_version: entry.revision.toString(), err: error },
        'policy snapshot rejected; keeping the previous one',
      );
    }
    this.notifyIfReady();
  }

  private onKeys(entry: KvEntry | null): void {
    if (!entry) return;
    if (!this.isNew('keys', entry)) return;
    this.handled.set('keys', entry.revision);
    try {
      const snapshot = router.KeysSnapshot.decode(entry.value);
      this.keyRing.update(snapshot, entry.revision);
      this.publishedAt.set('keys', (snapshot.publishedAt ?? new Date()).getTime());
      this.logger.info({ keys_version: entry.revision.toString() }, 'keys snapshot applied');
    } catch (error) {
      this.logger.error(
        { keys_version: entry.revision.toString(), err: error },
        'keys snapshot rejected; keeping the previous one',
      );
    }
    this.notifyIfReady();
  }

  private notifyIfReady(): void {
    if (!this.ready) return;
    for (const listener of this.readyListeners.splice(0)) listener();
  }
}

/**
 * `keel.snapshot.age`: seconds since the router published the policy and keys snapshots this
 * process uses (since they arrived, for a snapshot without a publication time). Taken from the
 * meter provider when a follower starts, so the provider registered at start is the one used.
 */
function snapshotAgeGauge(): ObservableGauge {
  return metrics.getMeter('@keel/snapshots').createObservableGauge('keel.snapshot.age', {
    description: 'Seconds since the router published the snapshot in use',
    unit: 's',
  });
}
