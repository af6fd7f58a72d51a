// The exact cache's shared store: a NATS KV bucket every inference replica reads and writes.
// Its max age is the longest cache ttl, so no entry outlives the policy that may serve it; each
// entry's own, shorter expiry is inside it (the server's keys carry no TTL of their own).
import type { Bus, KvBucket } from '@keel/bus';
import { bucketsOf } from '@keel/contracts';
import { CACHE_TTL_MAX_MS, type SharedCacheStore } from '../cache/exact-cache';

export class CacheEntries implements SharedCacheStore {
  private constructor(private readonly bucket: KvBucket) {}

  /** Opens the bus's cache bucket, creating it when it does not exist. */
  static async open(bus: Bus): Promise<CacheEntries> {
    return new CacheEntries(
      await bus.kv(bucketsOf(bus.prefix).cache, { history: 1, ttlMs: CACHE_TTL_MAX_MS }),
    );
  }

  async get(storeKey: string): Promise<Uint8Array | null> {
    return (await this.bucket.get(storeKey))?.value ?? null;
  }

  async put(storeKey: string, value: Uint8Array): Promise<void> {
    await this.bucket.put(storeKey, value);
  }
}
