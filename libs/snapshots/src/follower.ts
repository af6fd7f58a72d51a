// Follows the router's policy and keys snapshots, so a service authenticates and routes
// locally: no network hop per request, and it keeps serving from the last snapshot when the
// router is down.
import type { BusLogger, KvEntry } from '@keel/bus';
import { router } from '@keel/contracts';
import { KeyRing } from '@keel/kit';
import { Policy } from '@keel/routing';
import { SNAPSHOT_KEY, type SnapshotBuckets } from './buckets';

export class SnapshotFollower {
  readonly keyRing = new KeyRing();
  private currentPolicy: Policy | null = null;
  private readonly watches: Array<{ stop(): void }> = [];
  private readonly readyListeners: Array<() => void> = [];

  private constructor(private readonly logger: BusLogger) {}

  /** Starts watching both snapshots; `ready` turns true once each has arrived. */
  static async follow(buckets: SnapshotBuckets, logger: BusLogger): Promise<SnapshotFollower> {
    const follower = new SnapshotFollower(logger);
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

  stop(): void {
    for (const watch of this.watches) watch.stop();
  }

  private onPolicy(entry: KvEntry | null): void {
    if (!entry) return; // a deleted snapshot leaves the last one in force
    try {
      this.currentPolicy = Policy.from(router.PolicySnapshot.decode(entry.value), entry.revision);
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
    try {
      this.keyRing.update(router.KeysSnapshot.decode(entry.value), entry.revision);
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
