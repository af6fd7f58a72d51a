// The windows' shared rate-limit counters in a NATS KV bucket: one key per limit and window,
// holding the budget leased so far, raised by compare-and-set so no two replicas lease the same
// budget. NATS 2.9 has no per-key TTL: the bucket's max age (two windows) expires old windows.
import { type Bus, KvConflictError, type KvBucket } from '@keel/bus';
import { bucketsOf } from '@keel/contracts';
import type { Lease, LeaseStore } from '../rate-limit/allowance';
import { WINDOW_MS, grantOf } from '../rate-limit/window';

/** The bucket's max age: a window's counter outlives the window by at least one more. */
const RATE_LIMIT_COUNTERS_MAX_AGE_MS = 2 * WINDOW_MS;

export class RateLimitCounters implements LeaseStore {
  private constructor(private readonly bucket: KvBucket) {}

  /** Opens (creating it if need be) the bucket `<prefix>_ratelimits` of the bus's prefix. */
  static async open(bus: Bus): Promise<RateLimitCounters> {
    return new RateLimitCounters(
      await bus.kv(bucketsOf(bus.prefix).rateLimits, {
        history: 1,
        ttlMs: RATE_LIMIT_COUNTERS_MAX_AGE_MS,
      }),
    );
  }

  async lease(key: string, limit: number, need: number): Promise<Lease> {
    for (;;) {
      const entry = await this.bucket.get(key);
      const leased = entry ? leasedOf(entry.value) : 0;
      const granted = grantOf(leased, limit, need);
      if (granted === 0) return { granted, left: Math.max(0, limit - leased) };
      const value = Buffer.from(String(leased + granted));
      try {
        if (entry) await this.bucket.update(key, value, entry.revision);
        else await this.bucket.create(key, value);
        return { granted, left: limit - leased - granted };
      } catch (error) {
        // Another replica leased in between: read its count and try again.
        if (!(error instanceof KvConflictError)) throw error;
      }
    }
  }
}

function leasedOf(value: Uint8Array): number {
  const leased = Number(Buffer.from(value).toString('utf8'));
  if (!Number.isSafeInteger(leased) || leased < 0) {
    throw new Error(
      `rate-limit counter holds '${Buffer.from(value).toString('utf8')}', not a count`,
    );
  }
  return leased;
}
