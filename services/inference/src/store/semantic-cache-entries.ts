// The semantic cache's shared store: a NATS KV bucket every inference replica writes and
// follows. Its max age is the longest ttl a policy may set, so the server ages every entry out;
// each entry's own, shorter expiry is inside it.
import type { Bus, KvBucket } from '@keel/bus';
import { bucketsOf } from '@keel/contracts';
import { SEMANTIC_TTL_MAX_MS, type SemanticCacheStore } from '../cache/semantic-cache';

export class SemanticCacheEntries implements SemanticCacheStore {
  private constructor(private readonly bucket: KvBucket) {}

  /** Opens the bus's semantic cache bucket, creating it when it does not exist. */
  static async open(bus: Bus): Promise<SemanticCacheEntries> {
    return new SemanticCacheEntries(
      await bus.kv(bucketsOf(bus.prefix).semanticCache, {
        history: 1,
        ttlMs: SEMANTIC_TTL_MAX_MS,
      }),
    );
  }

  async put(storeKey: string, value: Uint8Array): Promise<void> {
    await this.bucket.put(storeKey, value);
  }

  follow(onEntry: (storeKey: string, value: Uint8Array | null) => void): Promise<{ stop(): void }> {
    return this.bucket.watchKeys('>', (key, entry) => onEntry(key, entry?.value ?? null));
  }
}
