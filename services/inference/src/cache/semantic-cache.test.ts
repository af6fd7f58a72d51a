import { common, durationFromMs, inference, router } from '@keel/contracts';
import { createLogger } from '@keel/telemetry';
import type { CacheRoute, CachedRequest } from './exact-cache';
import {
  DEFAULT_MIN_SIMILARITY,
  MAX_ENTRIES_PER_SCOPE,
  SemanticCache,
  type SemanticCacheStore,
  type SemanticPlan,
} from './semantic-cache';

const logger = createLogger('semantic-cache-test', 'silent');
const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const { MESSAGE_ROLE_USER: USER, MESSAGE_ROLE_SYSTEM: SYSTEM } = common.MessageRole;

/** A shared store in memory whose followers see every put, as replicas watching one bucket. */
class MemoryStore implements SemanticCacheStore {
  readonly entries = new Map<string, Uint8Array>();
  private readonly followers = new Set<(key: string, value: Uint8Array | null) => void>();
  async put(key: string, value: Uint8Array) {
    this.entries.set(key, value);
    for (const follower of this.followers) follower(key, value);
  }
  async follow(onEntry: (key: string, value: Uint8Array | null) => void) {
    for (const [key, value] of this.entries) onEntry(key, value);
    this.followers.add(onEntry);
    return { stop: () => void this.followers.delete(onEntry) };
  }
  delete(key: string) {
    this.entries.delete(key);
    for (const follower of this.followers) follower(key, null);
  }
}

const policy = (minSimilarity = 0.9) => ({ minSimilarity, ttl: durationFromMs(60_000) });
const routeOf = (
  tenantId = 'tenant-a',
  semanticCache: router.SemanticCachePolicy | null = policy(),
): CacheRoute => ({
  tenantId,
  functionName: 'f',
  variantName: 'v1',
  chain: [router.Model.fromPartial({ name: 'm1', provider: 'up', providerModel: 'm1' })],
  maxTokens: 100,
  fn: router.KeelFunction.fromPartial({
    tenantId,
    functionName: 'f',
    variants: [{ variantName: 'v1', modelChain: ['m1'] }],
    semanticCache: semanticCache ?? undefined,
  }),
  tenantSettings: null,
});
const asking = (question: string, system = 'Be brief.', bypassCache = false): CachedRequest => ({
  ...inference.CompleteRequest.fromPartial({
    messages: [
      common.ChatMessage.fromPartial({ role: SYSTEM, content: system }),
      common.ChatMessage.fromPartial({ role: USER, content: question }),
    ],
  }),
  bypassCache,
});
const answered = (inferenceId: string, extra: Partial<inference.InferenceCompleted> = {}) =>
  inference.InferenceCompleted.fromPartial({
    inferenceId,
    status: OK,
    outputText: `answer of ${inferenceId}`,
    model: 'm1',
    costNanoUsd: 1_000n,
    ...extra,
  });
/** An embedding at the given angle from the first axis: cosine(a, b) = cos(a - b). */
const at = (radians: number) => ({
  model: 'local-hash-384',
  vector: Float32Array.from([Math.cos(radians), Math.sin(radians), 0]),
});
const QUESTION = 'How many clips did Natalia sell in April and May, 48 in April?';

describe('SemanticCache', () => {
  let store: MemoryStore;
  let clock: number;
  let cache: SemanticCache;

  beforeEach(async () => {
    store = new MemoryStore();
    clock = 1_000_000;
    cache = new SemanticCache({ store, maxEntries: 100, logger, now: () => clock });
    await cache.start();
  });

  afterEach(() => cache.stop());

  async function kept(plan: SemanticPlan, id: string, angle = 0) {
    await cache.keep(plan, at(angle), answered(id));
  }

  it('serves the closest stored answer at or above the similarity, with that similarity', async () => {
    const plan = cache.plan(routeOf(), asking(QUESTION));
    await kept(plan, 'near', 0.3);
    await kept(plan, 'nearest', 0.1);

    const hit = cache.find(cache.plan(routeOf(), asking(QUESTION)), at(0));

    expect(hit?.answer.inferenceId).toBe('nearest');
    expect(hit?.similarity).toBeCloseTo(Math.cos(0.1), 5);
  });

  it('misses below the similarity', async () => {
    await kept(cache.plan(routeOf(), asking(QUESTION)), 'stored');
    // cos(0.5) ≈ 0.878, under 0.9.
    expect(cache.find(cache.plan(routeOf(), asking(QUESTION)), at(0.5))).toBeNull();
  });

  it('misses a question with other numbers or a negation, however similar', async () => {
    await kept(cache.plan(routeOf(), asking(QUESTION)), 'stored');
    for (const nearMiss of [
      QUESTION.replace('48', '56'),
      QUESTION.replace('did Natalia', 'did Natalia not'),
    ]) {
      expect(cache.find(cache.plan(routeOf(), asking(nearMiss)), at(0))).toBeNull();
    }
  });

  it("never serves another tenant's answer, nor one of another context", async () => {
    await kept(cache.plan(routeOf('tenant-a'), asking(QUESTION)), 'stored');
    expect(cache.find(cache.plan(routeOf('tenant-b'), asking(QUESTION)), at(0))).toBeNull();
    expect(cache.find(cache.plan(routeOf(), asking(QUESTION, 'Be long.')), at(0))).toBeNull();
    expect(cache.find(cache.plan(routeOf(), asking(QUESTION)), at(0))).not.toBeNull();
  });

  it('serves an answer another replica stored, and forgets it once the store deletes it', async () => {
    const other = new SemanticCache({ store, maxEntries: 100, logger, now: () => clock });
    await other.start();
    await other.keep(cache.plan(routeOf(), asking(QUESTION)), at(0), answered('elsewhere'));

    const plan = cache.plan(routeOf(), asking(QUESTION));
    expect(cache.find(plan, at(0))?.answer.inferenceId).toBe('elsewhere');
    store.delete([...store.entries.keys()][0]);
    expect(cache.find(plan, at(0))).toBeNull();
    other.stop();
  });

  it('stops serving an answer once its ttl has passed', async () => {
    const plan = cache.plan(routeOf(), asking(QUESTION));
    await kept(plan, 'stored');
    clock += 60_000;
    expect(cache.find(plan, at(0))).toBeNull();
  });

  it('forgets the oldest entries past its bound, whatever their scope', async () => {
    const small = new SemanticCache({ store, maxEntries: 2, logger, now: () => clock });
    await small.start();
    const planA = small.plan(routeOf('tenant-a'), asking(QUESTION));
    const planB = small.plan(routeOf('tenant-b'), asking(QUESTION));
    await small.keep(planA, at(0), answered('oldest'));
    await small.keep(planB, at(0), answered('middle'));
    await small.keep(planB, at(0.01), answered('newest'));

    expect(small.find(planA, at(0))).toBeNull();
    expect(small.find(planB, at(0))?.answer.inferenceId).toBe('middle');
    small.stop();
  });

  it("forgets a scope's oldest entries past the scope's bound", async () => {
    const plan = cache.plan(routeOf(), asking(QUESTION));
    const big = new SemanticCache({ store, maxEntries: 10_000, logger, now: () => clock });
    await big.start();
    await big.keep(plan, at(0), answered('first'));
    for (let i = 1; i <= MAX_ENTRIES_PER_SCOPE; i++) {
      await big.keep(plan, at(0.3), answered(`later-${i}`));
    }
    // The closest answer was the first stored: forgotten, the next closest is served.
    expect(big.find(plan, at(0))?.answer.inferenceId).toBe('later-1');
    big.stop();
  });

  it('sweeps out expired entries of scopes nobody asks', async () => {
    const plan = cache.plan(routeOf(), asking(QUESTION));
    await kept(plan, 'expiring');
    clock += 60_000;
    cache.sweep();
    clock -= 60_000;
    // Back before its expiry, the entry would be served had it not been swept.
    expect(cache.find(plan, at(0))).toBeNull();
  });

  it('keeps only an answer a model gave whole, as the exact cache does', async () => {
    const plan = cache.plan(routeOf(), asking(QUESTION));
    await cache.keep(plan, at(0), answered('failed', { status: FAILED }));
    await cache.keep(plan, at(0), answered('fallback', { fallbackAnswer: true }));
    await cache.keep(
      plan,
      at(0),
      answered('pii', { guardrails: { inputPiiCounts: { EMAIL_ADDRESS: 1 } } as never }),
    );
    expect(store.entries.size).toBe(0);
    expect(cache.find(plan, at(0))).toBeNull();
  });

  it('plans nothing without a policy, a bypass when asked, and the default similarity for 0', () => {
    expect(cache.plan(routeOf('tenant-a', null), asking(QUESTION))).toEqual({ use: 'off' });
    expect(cache.plan(routeOf(), asking(QUESTION, 'Be brief.', true))).toEqual({ use: 'bypass' });
    expect(cache.plan(routeOf('tenant-a', policy(0)), asking(QUESTION))).toMatchObject({
      use: 'on',
      minSimilarity: DEFAULT_MIN_SIMILARITY,
    });
  });
});
