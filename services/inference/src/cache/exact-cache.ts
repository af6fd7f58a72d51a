// The exact answer cache: an in-process LRU in front of a store every inference replica shares.
// A request of a function with a cache policy reads it once routed and checked; a model's whole
// answer is written once its event is published. The cache never fails a request: a store that
// cannot be read is a miss, one that cannot be written loses the entry; both are logged and
// counted.
import { type Meter, metrics } from '@opentelemetry/api';
import { durationToMs, type inference, type router } from '@keel/contracts';
import type { Logger } from '@keel/telemetry';
import { LRUCache } from 'lru-cache';
import { type CacheKey, type CacheKeyRequest, type CacheKeyRoute, cacheKey } from './key';
import { type CachedAnswer, answerOf, decodeEntry, encodeEntry, notStoredReason } from './entry';

/** The longest ttl a cache policy may set, and so how long the shared store keeps an entry. */
export const CACHE_TTL_MAX_MS = 24 * 3_600_000;

/** The store every replica shares; an absent key is null. */
export interface SharedCacheStore {
  get(storeKey: string): Promise<Uint8Array | null>;
  put(storeKey: string, value: Uint8Array): Promise<void>;
}

export interface ExactCacheOptions {
  store: SharedCacheStore;
  /** The most entries the in-process LRU holds. */
  maxEntries: number;
  /** The most bytes (encoded) the in-process LRU holds. */
  maxBytes: number;
  /** An answer whose entry encodes larger is not stored. */
  maxEntryBytes: number;
  logger: Logger;
  meter?: Meter;
  /** ms since the epoch; a test clock moves entries past their expiry. */
  now?: () => number;
}

/** What the cache does for one request. */
export type CachePlan =
  /** The function has no cache policy (or the route could not be matched to its function). */
  | { use: 'off' }
  /** The request asked to bypass the cache: neither read nor written. */
  | { use: 'bypass' }
  | { use: 'on'; key: CacheKey; ttlMs: number };

/** What the plan needs of the request: the key's fields and the bypass flag. */
export type CachedRequest = CacheKeyRequest & { bypassCache: boolean };

/** The routed function as the policy snapshot holds it, with the tenant's defaults. */
export interface CacheRoute extends Omit<CacheKeyRoute, 'variant' | 'guardrails'> {
  fn: router.KeelFunction | null;
  tenantSettings: router.TenantSettings | null;
  variantName: string;
}

interface LocalEntry {
  entry: CachedAnswer;
  bytes: number;
}

export class ExactCache {
  private readonly local: LRUCache<string, LocalEntry>;
  private readonly now: () => number;
  private readonly counters;

  constructor(private readonly options: ExactCacheOptions) {
    this.now = options.now ?? Date.now;
    this.local = new LRUCache<string, LocalEntry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (value) => Math.max(1, value.bytes),
    });
    // Created here, not at import: the metrics API has no proxy for a provider registered later.
    const meter = options.meter ?? metrics.getMeter('@keel/inference');
    this.counters = {
      hits: meter.createCounter('keel.inference.cache.hits', {
        description: 'Requests answered from the exact cache, by tier (local LRU or shared store)',
        unit: '{request}',
      }),
      misses: meter.createCounter('keel.inference.cache.misses', {
        description: 'Requests of a cached function that found no live entry',
        unit: '{request}',
      }),
      bypasses: meter.createCounter('keel.inference.cache.bypasses', {
        description: 'Requests of a cached function that asked to bypass the cache',
        unit: '{request}',
      }),
      storeErrors: meter.createCounter('keel.inference.cache.store_errors', {
        description:
          'Reads (then taken as misses) and writes (entry lost) of the shared store that failed',
        unit: '{operation}',
      }),
      notStored: meter.createCounter('keel.inference.cache.not_stored', {
        description:
          'Answers of a cached function not stored: personal data found, output flagged, too large',
        unit: '{answer}',
      }),
    };
  }

  /** What the cache does for a request routed to `route`. */
  plan(route: CacheRoute, request: CachedRequest): CachePlan {
    const ttlMs = Math.min(durationToMs(route.fn?.cache?.ttl), CACHE_TTL_MAX_MS);
    if (!route.fn?.cache || ttlMs <= 0) return { use: 'off' };
    if (request.bypassCache) return { use: 'bypass' };
    const variant = route.fn.variants.find((v) => v.variantName === route.variantName);
    if (!variant) return { use: 'off' };
    const key = cacheKey(
      {
        ...route,
        variant,
        guardrails: {
          function: route.fn.guardrails,
          tenant: route.tenantSettings?.guardrails,
        },
      },
      request,
    );
    return { use: 'on', key, ttlMs };
  }

  /** The live answer stored for the plan's key, or null (a miss, or the cache is not used). */
  async read(plan: CachePlan): Promise<CachedAnswer | null> {
    if (plan.use === 'bypass') this.counters.bypasses.add(1);
    if (plan.use !== 'on') return null;
    const key = plan.key.storeKey;
    const now = this.now();
    const local = this.local.get(key);
    if (local && local.entry.expiresAt > now) {
      this.counters.hits.add(1, { 'keel.cache.tier': 'local' });
      return local.entry;
    }
    const shared = await this.readShared(key);
    if (!shared || shared.entry.expiresAt <= now) {
      this.counters.misses.add(1);
      return null;
    }
    this.remember(key, shared);
    this.counters.hits.add(1, { 'keel.cache.tier': 'shared' });
    return shared.entry;
  }

  /**
   * Stores the answer `event` records, when the plan uses the cache and the answer may be served
   * again (see notStoredReason). Call it once the event is published. Never throws.
   */
  async keep(plan: CachePlan, event: inference.InferenceCompleted): Promise<void> {
    if (plan.use !== 'on') return;
    const reason = notStoredReason(event);
    if (reason === 'personal-data' || reason === 'flagged-output') {
      this.counters.notStored.add(1, { 'keel.cache.reason': reason });
    }
    if (reason) return;
    const entry: CachedAnswer = { answer: answerOf(event), expiresAt: this.now() + plan.ttlMs };
    const bytes = encodeEntry(entry);
    if (bytes.length > this.options.maxEntryBytes) {
      this.counters.notStored.add(1, { 'keel.cache.reason': 'too-large' });
      this.options.logger.warn(
        {
          inference_id: event.inferenceId,
          bytes: bytes.length,
          max_bytes: this.options.maxEntryBytes,
        },
        'answer too large for the exact cache: not stored',
      );
      return;
    }
    this.remember(plan.key.storeKey, { entry, bytes: bytes.length });
    try {
      await this.options.store.put(plan.key.storeKey, bytes);
    } catch (error) {
      this.counters.storeErrors.add(1, { 'keel.cache.operation': 'write' });
      this.options.logger.error(
        { inference_id: event.inferenceId, err: error },
        'the answer could not be written to the shared exact cache; other replicas will miss it',
      );
    }
  }

  private async readShared(key: string): Promise<LocalEntry | null> {
    try {
      const bytes = await this.options.store.get(key);
      return bytes ? { entry: decodeEntry(bytes), bytes: bytes.length } : null;
    } catch (error) {
      this.counters.storeErrors.add(1, { 'keel.cache.operation': 'read' });
      this.options.logger.error(
        { cache_key: key, err: error },
        'the shared exact cache could not be read: answering as a miss',
      );
      return null;
    }
  }

  /** Keeps an entry in the LRU until its own expiry. */
  private remember(key: string, local: LocalEntry): void {
    const ttl = local.entry.expiresAt - this.now();
    if (ttl > 0) this.local.set(key, local, { ttl });
  }
}
