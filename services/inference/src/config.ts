import { baseEnv, loadConfig, portEnv, z } from '@keel/config';
import { DEFAULT_SNAPSHOT_RELOAD_MS } from '@keel/snapshots';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegative = (fallback: number) => z.coerce.number().min(0).default(fallback);

export const configShape = {
  ...baseEnv,
  KEEL_INFERENCE_PORT: portEnv(50051),
  /** How often the router's snapshots are read directly besides being watched, so none stays missed. */
  KEEL_SNAPSHOT_RELOAD_MS: positiveInt(DEFAULT_SNAPSHOT_RELOAD_MS),
  /** The most messages one request may carry. */
  KEEL_MAX_MESSAGES: positiveInt(256),
  /** The most characters of content all of a request's messages may carry together. */
  KEEL_MAX_INPUT_CHARS: positiveInt(400_000),
  /** The longest one try on a provider may take; for a stream, until its first chunk. */
  KEEL_PROVIDER_ATTEMPT_TIMEOUT_MS: positiveInt(30_000),
  /** Tries after the first on one model, for a transient failure (2: up to 3 tries a model). */
  KEEL_PROVIDER_RETRIES: z.coerce.number().int().min(0).default(2),
  /** The longest Retry-After waited for; a provider asking for more is left for the next model. */
  KEEL_PROVIDER_RETRY_AFTER_MAX_MS: positiveInt(30_000),
  /** The share of outage failures among a window's tries above which a model's circuit opens. */
  KEEL_PROVIDER_BREAKER_FAILURE_RATIO: z.coerce.number().gt(0).lt(1).default(0.5),
  /** The window over which that share is measured. */
  KEEL_PROVIDER_BREAKER_WINDOW_MS: positiveInt(10_000),
  /** The tries the window must hold before the share counts. */
  KEEL_PROVIDER_BREAKER_MIN_CALLS: positiveInt(20),
  /** How long an open circuit refuses calls before one probe goes through. */
  KEEL_PROVIDER_BREAKER_OPEN_MS: positiveInt(10_000),
  /**
   * InferenceCompleted events not yet acknowledged by JetStream (the publish backlog) at which
   * new requests are refused with UNAVAILABLE, before any model is called.
   */
  KEEL_PUBLISH_BACKLOG_MAX: positiveInt(1_000),
  /**
   * How long the answer of a request with an idempotency key is replayed to repeats of that
   * key (the TTL of the idempotency bucket, set when the bucket is created).
   */
  KEEL_IDEMPOTENCY_WINDOW_MS: positiveInt(24 * 3_600_000),
  /**
   * How long the claim of a request with no deadline holds its idempotency key against twins
   * (a request with a deadline holds it until then): a claim whose holder died frees after it.
   */
  KEEL_IDEMPOTENCY_LEASE_MS: positiveInt(300_000),
  /** The most answers the exact cache keeps in each process, in front of the shared bucket. */
  KEEL_CACHE_LOCAL_MAX_ENTRIES: positiveInt(10_000),
  /** The most bytes (encoded) of answers the exact cache keeps in each process. */
  KEEL_CACHE_LOCAL_MAX_BYTES: positiveInt(64 * 1024 * 1024),
  /**
   * An answer whose cache entry encodes larger is not cached. At most 900 KiB: an entry is one
   * NATS message, and the server's default max payload is 1 MiB.
   */
  KEEL_CACHE_ENTRY_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(900 * 1024)
    .default(256 * 1024),
  /**
   * What a request under a rate limit does when the shared counters (NATS KV) do not answer
   * within KEEL_RATE_LIMIT_LEASE_TIMEOUT_MS: `allow` admits it (a lease arriving later pays for
   * it), `refuse` answers UNAVAILABLE.
   */
  KEEL_RATE_LIMIT_WHEN_UNAVAILABLE: z.enum(['allow', 'refuse']).default('allow'),
  /** The longest a request waits for a lease of its rate limit's budget. */
  KEEL_RATE_LIMIT_LEASE_TIMEOUT_MS: positiveInt(250),
  /**
   * What a request under a hard budget does when the shared budget state (NATS KV) does not
   * answer within KEEL_BUDGET_LEASE_TIMEOUT_MS: `refuse` answers UNAVAILABLE, `allow` runs it
   * (a lease arriving later pays for it, if any is left). Refuse by default: a hard budget
   * promises not to spend, and every request waiting on the stalled lease would be allowed.
   */
  KEEL_BUDGET_WHEN_UNAVAILABLE: z.enum(['allow', 'refuse']).default('refuse'),
  /**
   * The longest a request waits for a lease of its budget's money. Longer than the rate
   * limits': under a burst, leases queue behind each other, and a request allowed past a lease
   * that is only slow spends money no lease covered.
   */
  KEEL_BUDGET_LEASE_TIMEOUT_MS: positiveInt(2_000),
  /** Where retrieval is called: passages for a function's collection, the semantic cache's embeddings. */
  KEEL_RETRIEVAL_ADDRESS: z.string().default('127.0.0.1:50053'),
  /** The longest one retrieval call may take (within the caller's own deadline). */
  KEEL_RETRIEVAL_TIMEOUT_MS: positiveInt(2_000),
  /** The most answers the semantic cache keeps in each process (about 3 KB each, in all). */
  KEEL_SEMANTIC_CACHE_MAX_ENTRIES: positiveInt(20_000),
  /** The sim model's wait before it answers. */
  KEEL_SIM_LATENCY_MS: nonNegative(0),
  /** The sim model's generation speed; 0 answers at once. */
  KEEL_SIM_TOKENS_PER_SECOND: nonNegative(0),
};

export type InferenceConfig = ReturnType<typeof loadConfig<typeof configShape>>;
