import { common, durationFromMs, inference, router } from '@keel/contracts';
import { createLogger } from '@keel/telemetry';
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { decodeEntry } from './entry';
import {
  type CacheRoute,
  type CachedRequest,
  ExactCache,
  type SharedCacheStore,
} from './exact-cache';

const logger = createLogger('cache-test', 'silent');
const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_PARTIAL: PARTIAL } = inference.InferenceStatus;

/** A store in memory that can be made to fail, counting its calls. */
class MemoryStore implements SharedCacheStore {
  readonly entries = new Map<string, Uint8Array>();
  failing = false;
  gets = 0;
  async get(key: string) {
    this.gets += 1;
    if (this.failing) throw new Error('store down');
    return this.entries.get(key) ?? null;
  }
  async put(key: string, value: Uint8Array) {
    if (this.failing) throw new Error('store down');
    this.entries.set(key, value);
  }
}

const fn = (ttlMs?: number) =>
  router.KeelFunction.fromPartial({
    tenantId: 'tenant-a',
    functionName: 'f',
    variants: [{ variantName: 'v1', modelChain: ['m1'] }],
    cache: ttlMs === undefined ? undefined : { ttl: durationFromMs(ttlMs) },
  });
const routeOf = (ttlMs?: number, tenantId = 'tenant-a'): CacheRoute => ({
  tenantId,
  functionName: 'f',
  variantName: 'v1',
  chain: [router.Model.fromPartial({ name: 'm1', provider: 'up', providerModel: 'm1' })],
  maxTokens: 100,
  fn: fn(ttlMs),
  tenantSettings: null,
});
const request = (bypassCache = false): CachedRequest => ({
  ...inference.CompleteRequest.fromPartial({
    messages: [common.ChatMessage.fromPartial({ role: 2, content: 'hello' })],
  }),
  bypassCache,
});
const answered = (extra: Partial<inference.InferenceCompleted> = {}) =>
  inference.InferenceCompleted.fromPartial({
    inferenceId: 'inf-1',
    tenantId: 'tenant-a',
    functionName: 'f',
    variantName: 'v1',
    model: 'm1',
    status: OK,
    outputText: 'hi there',
    usage: { inputTokens: 3n, outputTokens: 2n },
    costNanoUsd: 1234n,
    finishReason: inference.FinishReason.FINISH_REASON_STOP,
    ...extra,
  });

function setUp(options: { maxEntryBytes?: number; maxEntries?: number } = {}) {
  const store = new MemoryStore();
  const clock = { now: 1_000_000 };
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 60_000,
  });
  const provider = new MeterProvider({ readers: [reader] });
  const options_ = {
    store,
    maxEntries: options.maxEntries ?? 100,
    maxBytes: 1_000_000,
    maxEntryBytes: options.maxEntryBytes ?? 100_000,
    logger,
    meter: provider.getMeter('test'),
    now: () => clock.now,
  };
  const cache = new ExactCache(options_);
  /** A second replica: its own LRU, the same store. */
  const replica = () => new ExactCache({ ...options_, meter: provider.getMeter('replica') });
  const counts = async (name: string, scope = 'test') => {
    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics
      .filter((metrics) => metrics.scope.name === scope)
      .flatMap((metrics) => metrics.metrics)
      .filter((metric) => metric.descriptor.name === `keel.inference.cache.${name}`)
      .flatMap((metric) => metric.dataPoints as DataPoint<number>[]);
    // Counts by the point's attribute value ('-' for none).
    return Object.fromEntries(
      points.map((point) => [Object.values(point.attributes).join(',') || '-', point.value]),
    );
  };
  return { store, clock, cache, replica, counts };
}

describe('ExactCache', () => {
  it('is off for a function without a cache policy: nothing read, nothing stored', async () => {
    const { cache, store } = setUp();
    const plan = cache.plan(routeOf(undefined), request());
    expect(plan).toEqual({ use: 'off' });
    expect(await cache.read(plan)).toBeNull();
    await cache.keep(plan, answered());
    expect(store.gets).toBe(0);
    expect(store.entries.size).toBe(0);
  });

  it('misses, stores the answer, then hits from the LRU without reading the store', async () => {
    const { cache, store, counts } = setUp();
    const plan = cache.plan(routeOf(60_000), request());
    expect(await cache.read(plan)).toBeNull();
    await cache.keep(plan, answered());
    expect(store.entries.size).toBe(1);
    const gets = store.gets;
    const hit = await cache.read(plan);
    expect(hit?.answer).toMatchObject({
      inferenceId: 'inf-1',
      text: 'hi there',
      model: 'm1',
      costNanoUsd: 1234n,
      usage: { inputTokens: 3n, outputTokens: 2n },
    });
    expect(store.gets).toBe(gets);
    expect(await counts('hits')).toEqual({ local: 1 });
    expect(await counts('misses')).toEqual({ '-': 1 });
  });

  it('a replica with an empty LRU hits the shared store', async () => {
    const { cache, replica, counts } = setUp();
    const plan = cache.plan(routeOf(60_000), request());
    await cache.keep(plan, answered());
    const other = replica();
    expect((await other.read(other.plan(routeOf(60_000), request())))?.answer.inferenceId).toBe(
      'inf-1',
    );
    expect(await counts('hits', 'replica')).toEqual({ shared: 1 });
  });

  it('stores the entry with its own expiry, and misses once it has passed', async () => {
    const { cache, store, clock, replica } = setUp();
    const plan = cache.plan(routeOf(5_000), request());
    await cache.keep(plan, answered());
    const [bytes] = [...store.entries.values()];
    expect(decodeEntry(bytes).expiresAt).toBe(clock.now + 5_000);
    clock.now += 4_999;
    expect(await cache.read(plan)).not.toBeNull();
    clock.now += 1;
    expect(await cache.read(plan)).toBeNull();
    const other = replica();
    expect(await other.read(plan)).toBeNull();
  });

  it('caps a ttl above a day at a day', () => {
    const { cache } = setUp();
    const plan = cache.plan(routeOf(3 * 86_400_000), request());
    expect(plan.use === 'on' && plan.ttlMs).toBe(86_400_000);
  });

  it('neither reads nor writes a request that bypasses it, and counts it', async () => {
    const { cache, store, counts } = setUp();
    const on = cache.plan(routeOf(60_000), request());
    await cache.keep(on, answered());
    const gets = store.gets;
    const bypass = cache.plan(routeOf(60_000), request(true));
    expect(bypass).toEqual({ use: 'bypass' });
    expect(await cache.read(bypass)).toBeNull();
    await cache.keep(bypass, answered({ inferenceId: 'inf-2' }));
    expect(store.gets).toBe(gets);
    expect((await cache.read(on))?.answer.inferenceId).toBe('inf-1');
    expect(await counts('bypasses')).toEqual({ '-': 1 });
  });

  it('keeps tenants apart: the same function and request of another tenant misses', async () => {
    const { cache } = setUp();
    await cache.keep(cache.plan(routeOf(60_000), request()), answered());
    const other = cache.plan(routeOf(60_000, 'tenant-b'), request());
    expect(await cache.read(other)).toBeNull();
  });

  it.each<[string, Partial<inference.InferenceCompleted>]>([
    ['a partial answer', { status: PARTIAL }],
    ['a fallback answer', { fallbackAnswer: true }],
    [
      'a cache hit',
      {
        cacheHit: inference.CacheHit.fromPartial({ sourceInferenceId: 'inf-0', savedNanoUsd: 1n }),
      },
    ],
    ['an answer whose input held personal data', { guardrails: pii({ input: 1 }) }],
    ['an answer whose output held personal data', { guardrails: pii({ output: 2 }) }],
    [
      'an answer whose output content safety flagged',
      {
        guardrails: inference.GuardrailReport.fromPartial({
          outputFlaggedCategories: ['VIOLENCE'],
        }),
      },
    ],
  ])('does not store %s', async (_what, extra) => {
    const { cache, store } = setUp();
    const plan = cache.plan(routeOf(60_000), request());
    await cache.keep(plan, answered(extra));
    expect(store.entries.size).toBe(0);
    expect(await cache.read(plan)).toBeNull();
  });

  it('stores the answer of a function that redacts personal data when none was found', async () => {
    const { cache, store } = setUp();
    const plan = cache.plan(routeOf(60_000), request());
    await cache.keep(plan, answered({ guardrails: { ...pii({}), redacted: true } }));
    expect(store.entries.size).toBe(1);
  });

  it('does not store an answer above the size bound, and counts why', async () => {
    const { cache, store, counts } = setUp({ maxEntryBytes: 400 });
    const plan = cache.plan(routeOf(60_000), request());
    await cache.keep(plan, answered({ outputText: 'x'.repeat(400) }));
    await cache.keep(plan, answered({ guardrails: pii({ input: 1 }) }));
    expect(store.entries.size).toBe(0);
    expect(await counts('not_stored')).toEqual({ 'too-large': 1, 'personal-data': 1 });
  });

  it('answers a miss when the store fails to read, and keeps the answer locally when it fails to write', async () => {
    const { cache, store, counts } = setUp();
    const plan = cache.plan(routeOf(60_000), request());
    store.failing = true;
    expect(await cache.read(plan)).toBeNull();
    await expect(cache.keep(plan, answered())).resolves.toBeUndefined();
    expect((await cache.read(plan))?.answer.inferenceId).toBe('inf-1');
    expect(await counts('store_errors')).toEqual({ read: 1, write: 1 });
  });

  it('bounds the LRU by entries: an evicted entry is read from the store again', async () => {
    const { cache, store } = setUp({ maxEntries: 1 });
    const first = cache.plan(routeOf(60_000), request());
    const second = cache.plan(routeOf(60_000), {
      ...request(),
      messages: [common.ChatMessage.fromPartial({ role: 2, content: 'other' })],
    });
    await cache.keep(first, answered());
    await cache.keep(second, answered({ inferenceId: 'inf-2' }));
    const gets = store.gets;
    expect((await cache.read(first))?.answer.inferenceId).toBe('inf-1');
    expect(store.gets).toBe(gets + 1);
  });
});

function pii(found: { input?: number; output?: number }): inference.GuardrailReport {
  return inference.GuardrailReport.fromPartial({
    inputPiiCounts: found.input ? { EMAIL_ADDRESS: found.input } : {},
    outputPiiCounts: found.output ? { PHONE_NUMBER: found.output } : {},
  });
}
