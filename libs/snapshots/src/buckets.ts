// Where the router's snapshots live in NATS KV: one bucket each for the policy, the hashed
// API keys and the model catalog versions, named from the bus prefix.
import type { Bus, KvBucket } from '@keel/bus';
import { bucketsOf } from '@keel/contracts';

/** The single key of the policy and keys buckets; its KV revision is the snapshot version. */
export const SNAPSHOT_KEY = 'snapshot';

/** Catalog versions are immutable: version N lives at `v<N>`; `current` names the newest. */
export const CURRENT_CATALOG_KEY = 'current';
export function catalogVersionKey(version: bigint): string {
  return `v${version}`;
}

export interface SnapshotBuckets {
  policy: KvBucket;
  keys: KvBucket;
  catalog: KvBucket;
}

export async function openSnapshotBuckets(bus: Bus): Promise<SnapshotBuckets> {
  const names = bucketsOf(bus.prefix);
  const [policy, keys, catalog] = await Promise.all([
    bus.kv(names.policy, { history: 5 }),
    bus.kv(names.keys, { history: 5 }),
    bus.kv(names.catalog, { history: 1 }),
  ]);
  return { policy, keys, catalog };
}
