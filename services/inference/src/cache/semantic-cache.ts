// The semantic cache: an answer served again to a request of the same tenant and function whose
// question is close enough in meaning (the cosine similarity of their embeddings) and asks for
// the same details (numbers, negations, names: semantic-guard.ts). Everything else that changes
// an answer must be identical: the variant, chain, guardrails, parameters, tools and every
// message but the last user message — the exact cache's key over the request without that
// question is the entry's scope. Entries live in a store every replica shares; each replica
// keeps every live entry in memory, by scope, from a watch of that store, and searches it
// exactly (a function's cached questions are few enough for a scan).
import { type Meter, metrics } from '@opentelemetry/api';
import { common, durationToMs, inference } from '@keel/contracts';
import type { Logger } from '@keel/telemetry';
import { answerOf, notStoredReason } from './entry';
import type { CacheRoute, CachedRequest } from './exact-cache';
import { cacheKey } from './key';
import { type AskedDetails, askedDetails, sameDetails } from './semantic-guard';

/**
 * The similarity a stored question needs when the function's policy sets none, for the default
 * embedding model: the lowest at which 99% of the measured hits were paraphrases, near-misses the
 * details guard lets through included (`npm run eval:semantic-cache`; README: the semantic cache).
 */
export const DEFAULT_MIN_SIMILARITY = 0.994;

/**
 * A scope's entries are all compared on every lookup, under 1 µs each with the default model
 * (`npm run bench:semantic-cache`): past this many, the oldest of the scope are forgotten.
 */
export const MAX_ENTRIES_PER_SCOPE = 2_000;

/** The longest ttl a policy may set, and so how long the shared store keeps an entry. */
export const SEMANTIC_TTL_MAX_MS = 24 * 3_600_000;

/** The store every replica shares; `follow` replays every live entry, then each change. */
export interface SemanticCacheStore {
  put(storeKey: string, value: Uint8Array): Promise<void>;
  follow(onEntry: (storeKey: string, value: Uint8Array | null) => void): Promise<{ stop(): void }>;
}

export interface SemanticCacheOptions {
  store: SemanticCacheStore;
  /** The most entries this process keeps, of every scope; past it, the oldest are forgotten. */
  maxEntries: number;
  /** How often expired entries of scopes nobody asked since are swept out. */
  sweepMs?: number;
  logger: Logger;
  meter?: Meter;
  now?: () => number;
}

export type SemanticPlan =
  | { use: 'off' }
  | { use: 'bypass' }
  | {
      use: 'on';
      scope: string;
      /** The store key's prefix: the tenant and function tokens of the exact cache's key. */
      keyPrefix: string;
      question: string;
      details: AskedDetails;
      minSimilarity: number;
      ttlMs: number;
    };

interface Entry {
  scope: string;
  model: string;
  vector: Float32Array;
  details: AskedDetails;
  answer: inference.CompleteResponse;
  expiresAt: number;
}

export interface SemanticHit {
  answer: inference.CompleteResponse;
  similarity: number;
}

export class SemanticCache {
  /** Scope → store key → entry. */
  private readonly scopes = new Map<string, Map<string, Entry>>();
  /** Store key → scope, to forget a deleted key; in the order stored, oldest first. */
  private readonly scopeOf = new Map<string, string>();
  private readonly now: () => number;
  private readonly counters;
  private following: { stop(): void } | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly options: SemanticCacheOptions) {
    this.now = options.now ?? Date.now;
    const meter = options.meter ?? metrics.getMeter('@keel/inference');
    this.counters = {
      hits: meter.createCounter('keel.inference.semantic_cache.hits', {
        description: 'Requests answered from the semantic cache',
        unit: '{request}',
      }),
      misses: meter.createCounter('keel.inference.semantic_cache.misses', {
        description: 'Requests of a function with a semantic cache that found no close question',
        unit: '{request}',
      }),
      guarded: meter.createCounter('keel.inference.semantic_cache.guarded', {
        description:
          'Misses with a question above the similarity that asked for other numbers, negations or names',
        unit: '{request}',
      }),
    };
  }

  /** Starts following the shared store; resolves once the watch is open. */
  async start(): Promise<void> {
    this.following = await this.options.store.follow((key, value) => this.apply(key, value));
    // The store ages entries out without telling its watchers: expired ones are dropped here.
    this.sweeper = setInterval(() => this.sweep(), this.options.sweepMs ?? 60_000);
    this.sweeper.unref();
  }

  stop(): void {
    this.following?.stop();
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** Forgets every expired entry. */
  sweep(): void {
    const now = this.now();
    for (const [scope, entries] of this.scopes) {
      for (const [key, entry] of entries) if (entry.expiresAt <= now) this.forget(key);
      if (entries.size === 0) this.scopes.delete(scope);
    }
  }

  /** What the cache does for a request routed to `route`. */
  plan(route: CacheRoute, request: CachedRequest): SemanticPlan {
    const policy = route.fn?.semanticCache;
    const ttlMs = Math.min(durationToMs(policy?.ttl), SEMANTIC_TTL_MAX_MS);
    if (!route.fn || !policy || ttlMs <= 0) return { use: 'off' };
    if (request.bypassCache) return { use: 'bypass' };
    const variant = route.fn.variants.find((v) => v.variantName === route.variantName);
    const last = lastUserMessage(request.messages);
    if (!variant || last < 0) return { use: 'off' };
    const question = request.messages[last].content;
    // The rest of the request, with the question left out, is what must match exactly.
    const rest = request.messages.map((message, i) =>
      i === last ? common.ChatMessage.fromPartial({ role: message.role }) : message,
    );
    const key = cacheKey(
      {
        ...route,
        variant,
        guardrails: { function: route.fn.guardrails, tenant: route.tenantSettings?.guardrails },
      },
      { ...request, messages: rest },
    );
    return {
      use: 'on',
      scope: key.storeKey,
      keyPrefix: key.storeKey.slice(0, key.storeKey.length - key.digest.length),
      question,
      details: askedDetails(question),
      minSimilarity: policy.minSimilarity || DEFAULT_MIN_SIMILARITY,
      ttlMs,
    };
  }

  /** The closest live answer in the plan's scope that asks for the same details, or null. */
  find(plan: SemanticPlan, embedded: { model: string; vector: Float32Array }): SemanticHit | null {
    if (plan.use !== 'on') return null;
    const entries = this.scopes.get(plan.scope);
    const vector = unit(embedded.vector);
    const now = this.now();
    let best: SemanticHit | null = null;
    let guarded = false;
    for (const [key, entry] of entries ?? []) {
      if (entry.expiresAt <= now) {
        this.forget(key);
        continue;
      }
      if (entry.model !== embedded.model) continue;
      const similarity = dot(vector, entry.vector);
      if (similarity < plan.minSimilarity || (best && similarity <= best.similarity)) continue;
      if (!sameDetails(plan.details, entry.details)) {
        guarded = true;
        continue;
      }
      best = { answer: entry.answer, similarity };
    }
    if (best) this.counters.hits.add(1);
    else this.counters.misses.add(1);
    if (!best && guarded) this.counters.guarded.add(1);
    return best;
  }

  /**
   * Stores the answer `event` records under its question's embedding, when the plan uses the
   * cache and the answer may be served again (the exact cache's rule). Never throws.
   */
  async keep(
    plan: SemanticPlan,
    embedded: { model: string; vector: Float32Array },
    event: inference.InferenceCompleted,
  ): Promise<void> {
    if (plan.use !== 'on' || notStoredReason(event)) return;
    const entry: Entry = {
      scope: plan.scope,
      model: embedded.model,
      vector: unit(embedded.vector),
      details: plan.details,
      answer: answerOf(event),
      expiresAt: this.now() + plan.ttlMs,
    };
    const key = `${plan.keyPrefix}${event.inferenceId}`;
    this.remember(key, entry);
    try {
      await this.options.store.put(key, encodeEntry(entry));
    } catch (error) {
      this.options.logger.error(
        { inference_id: event.inferenceId, err: error },
        'the answer could not be written to the shared semantic cache; other replicas will miss it',
      );
    }
  }

  private apply(key: string, value: Uint8Array | null): void {
    if (!value) {
      this.forget(key);
      return;
    }
    try {
      this.remember(key, decodeEntry(value));
    } catch (error) {
      this.options.logger.error(
        { cache_key: key, err: error },
        'a semantic cache entry could not be read: skipped',
      );
    }
  }

  private remember(key: string, entry: Entry): void {
    if (entry.expiresAt <= this.now()) return;
    let entries = this.scopes.get(entry.scope);
    if (!entries) {
      entries = new Map();
      this.scopes.set(entry.scope, entries);
    }
    entries.set(key, entry);
    this.scopeOf.set(key, entry.scope);
    if (entries.size > MAX_ENTRIES_PER_SCOPE) this.forget(entries.keys().next().value as string);
    if (this.scopeOf.size > this.options.maxEntries) {
      this.forget(this.scopeOf.keys().next().value as string);
    }
  }

  private forget(key: string): void {
    const scope = this.scopeOf.get(key);
    if (scope === undefined) return;
    this.scopeOf.delete(key);
    const entries = this.scopes.get(scope);
    entries?.delete(key);
    if (entries?.size === 0) this.scopes.delete(scope);
  }
}

function lastUserMessage(messages: readonly common.ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    if (messages[i].role === common.MessageRole.MESSAGE_ROLE_USER) return i;
  }
  return -1;
}

function unit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

/** Four sums side by side: about twice as fast in V8 as one (the scan is most of a lookup). */
function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  if (n !== b.length) return -1;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i += 1) s0 += a[i] * b[i];
  return s0 + s1 + s2 + s3;
}

interface StoredEntry {
  scope: string;
  model: string;
  /** Float32 little-endian, base64. */
  vector: string;
  details: AskedDetails;
  /** The CompleteResponse, protobuf in base64. */
  answer: string;
  expiresAt: number;
}

function encodeEntry(entry: Entry): Uint8Array {
  const stored: StoredEntry = {
    scope: entry.scope,
    model: entry.model,
    vector: Buffer.from(
      entry.vector.buffer,
      entry.vector.byteOffset,
      entry.vector.byteLength,
    ).toString('base64'),
    details: entry.details,
    answer: Buffer.from(inference.CompleteResponse.encode(entry.answer).finish()).toString(
      'base64',
    ),
    expiresAt: entry.expiresAt,
  };
  return Buffer.from(JSON.stringify(stored));
}

function decodeEntry(bytes: Uint8Array): Entry {
  const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as StoredEntry;
  const vector = Buffer.from(stored.vector, 'base64');
  return {
    scope: stored.scope,
    model: stored.model,
    // A copy: the decoded buffer's offset need not be aligned for a Float32Array view.
    vector: new Float32Array(new Uint8Array(vector).buffer),
    details: stored.details,
    answer: inference.CompleteResponse.decode(Buffer.from(stored.answer, 'base64')),
    expiresAt: stored.expiresAt,
  };
}
