import { inference } from '@keel/contracts';
import { ResourceExhaustedError, UnavailableError } from '@keel/errors';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { Lease, LeaseStore } from './allowance';
import { type Admission, RateLimitedError, RateLimiter, type RateLimiterOptions } from './limiter';
import type { RateLimit } from './limits';
import { WINDOW_MS, grantOf } from './window';

const TENANT = 'tenant-a';
const windowStart = Date.UTC(2026, 10, 30, 12, 0, 0);

/** The shared counters, in memory; `hold()` makes leases wait until `release()`. */
class FakeCounters implements LeaseStore {
  readonly leased = new Map<string, number>();
  calls = 0;
  failWith: Error | null = null;
  private held: Array<() => void> | null = null;

  async lease(key: string, limit: number, need: number): Promise<Lease> {
    this.calls += 1;
    if (this.failWith) throw this.failWith;
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    const leased = this.leased.get(key) ?? 0;
    const granted = grantOf(leased, limit, need);
    this.leased.set(key, leased + granted);
    return { granted, left: limit - leased - granted };
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const resolve of held) resolve();
  }
}

function limiterOn(counters: LeaseStore, options: Partial<RateLimiterOptions> = {}) {
  const clock = { now: windowStart + 1_000 };
  const warnings: unknown[] = [];
  const limiter = new RateLimiter(counters, {
    whenUnavailable: 'allow',
    leaseTimeoutMs: 20,
    logger: { warn: (fields: unknown) => void warnings.push(fields) },
    now: () => clock.now,
    ...options,
  });
  return { limiter, clock, warnings };
}

const tenantRpm = (perMinute: number): RateLimit => ({
  scope: { tenantId: TENANT, functionName: null },
  kind: 'rpm',
  perMinute,
});
const functionRpm = (functionName: string, perMinute: number): RateLimit => ({
  scope: { tenantId: TENANT, functionName },
  kind: 'rpm',
  perMinute,
});
const tenantTpm = (perMinute: number): RateLimit => ({
  scope: { tenantId: TENANT, functionName: null },
  kind: 'tpm',
  perMinute,
});

/** How many of `count` requests the limiter admits, one after another. */
async function admitted(limiter: RateLimiter, limits: RateLimit[], count: number, tokens = 10) {
  let admittedCount = 0;
  for (let i = 0; i < count; i++) {
    try {
      await limiter.admit(limits, tokens);
      admittedCount += 1;
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
    }
  }
  return admittedCount;
}

async function refusal(admission: Promise<Admission>): Promise<Error> {
  try {
    await admission;
  } catch (error) {
    return error as Error;
  }
  throw new Error('the request was admitted');
}

function attemptsGenerating(outputTokens: number): inference.Attempt[] {
  return [
    inference.Attempt.fromPartial({
      usage: { inputTokens: 10n, outputTokens: BigInt(outputTokens) },
    }),
  ];
}

describe('RateLimiter', () => {
  it('admits a tenant up to its requests per minute, then refuses naming the limit with the time to the window’s end', async () => {
    const { limiter, clock } = limiterOn(new FakeCounters());
    expect(await admitted(limiter, [tenantRpm(60)], 60)).toBe(60);
    clock.now = windowStart + 45_500;
    const error = await refusal(limiter.admit([tenantRpm(60)], 10));
    expect(error).toBeInstanceOf(ResourceExhaustedError);
    expect(error.message).toBe(
      `rate limit: tenant ${TENANT} 60 requests per minute; the minute's window resets in 15 s`,
    );
    expect((error as RateLimitedError).retryAfterMs).toBe(14_500);
  });

  it('two replicas sharing the counters admit the limit together, not each', async () => {
    const counters = new FakeCounters();
    const replicas = [limiterOn(counters).limiter, limiterOn(counters).limiter];
    let total = 0;
    for (let i = 0; i < 200; i++) total += await admitted(replicas[i % 2], [tenantRpm(60)], 1);
    expect(total).toBe(60);
  });

  it('spends a lease locally: the counters are asked once a lease, not once a request', async () => {
    const counters = new FakeCounters();
    const { limiter } = limiterOn(counters);
    expect(await admitted(limiter, [tenantRpm(1_000)], 500)).toBe(500);
    // Leases of 100, each taken ahead when less than half of the last is left.
    expect(counters.calls).toBeLessThanOrEqual(6);
    expect(counters.leased.get(`${TENANT}._tenant.rpm.${windowStart}`)).toBeLessThanOrEqual(600);
  });

  it('takes the next lease ahead, before the current one is spent', async () => {
    const counters = new FakeCounters();
    const { limiter } = limiterOn(counters);
    // Lease 10: spending the 6th request leaves 4, below half a lease.
    expect(await admitted(limiter, [tenantRpm(100)], 6)).toBe(6);
    await Promise.resolve();
    expect(counters.calls).toBe(2);
    expect(counters.leased.get(`${TENANT}._tenant.rpm.${windowStart}`)).toBe(20);
  });

  it('a function limit refuses that function only, and its refusal spends nothing of the tenant’s', async () => {
    const { limiter } = limiterOn(new FakeCounters());
    const answerLimits = [tenantRpm(10), functionRpm('support.answer', 3)];
    expect(await admitted(limiter, answerLimits, 6)).toBe(3);
    const error = await refusal(limiter.admit(answerLimits, 10));
    expect(error.message).toMatch(
      new RegExp(
        `^rate limit: function 'support.answer' of tenant ${TENANT} 3 requests per minute`,
      ),
    );
    // The tenant's 10 less the 3 support.answer spent.
    expect(await admitted(limiter, [tenantRpm(10), functionRpm('other', 100)], 20)).toBe(7);
  });

  it('starts the budget anew in the next window', async () => {
    const { limiter, clock } = limiterOn(new FakeCounters());
    expect(await admitted(limiter, [tenantRpm(5)], 10)).toBe(5);
    clock.now += WINDOW_MS;
    expect(await admitted(limiter, [tenantRpm(5)], 10)).toBe(5);
  });

  it('charges input tokens at admission: a request whose input is more than is left is refused', async () => {
    const { limiter } = limiterOn(new FakeCounters());
    await limiter.admit([tenantTpm(1_000)], 700);
    const error = await refusal(limiter.admit([tenantTpm(1_000)], 400));
    expect(error.message).toMatch(
      new RegExp(`^rate limit: tenant ${TENANT} 1000 tokens per minute`),
    );
    await limiter.admit([tenantTpm(1_000)], 300);
  });

  it('charges output tokens after the answer: they push the next requests over', async () => {
    const { limiter } = limiterOn(new FakeCounters());
    const first = await limiter.admit([tenantTpm(1_000)], 100);
    first.chargeOutput(attemptsGenerating(850));
    expect((await refusal(limiter.admit([tenantTpm(1_000)], 100))).message).toMatch(
      /1000 tokens per minute/,
    );
    await limiter.admit([tenantTpm(1_000)], 50);
  });

  it('charges output to the window the answer ends in', async () => {
    const { limiter, clock } = limiterOn(new FakeCounters());
    const admission = await limiter.admit([tenantTpm(1_000)], 100);
    clock.now += WINDOW_MS;
    admission.chargeOutput(attemptsGenerating(950));
    expect((await refusal(limiter.admit([tenantTpm(1_000)], 100))).message).toMatch(
      /1000 tokens per minute/,
    );
  });

  it('refuses a request whose input alone is more than a token limit, with no retry-after', async () => {
    const { limiter } = limiterOn(new FakeCounters());
    const error = await refusal(limiter.admit([tenantTpm(1_000)], 1_500));
    expect(error.message).toBe(
      `rate limit: tenant ${TENANT} 1000 tokens per minute; this request's 1500 input tokens alone are more than that`,
    );
    expect((error as RateLimitedError).retryAfterMs).toBeNull();
  });

  it('admits requests with no limit without asking the counters', async () => {
    const counters = new FakeCounters();
    const { limiter } = limiterOn(counters);
    await limiter.admit([], 10);
    expect(counters.calls).toBe(0);
  });
});

describe('RateLimiter when the counters do not answer', () => {
  it('allow: admits once the lease timeout passes, and a request meanwhile decides without another lease', async () => {
    const counters = new FakeCounters();
    counters.hold();
    const { limiter } = limiterOn(counters, { whenUnavailable: 'allow' });
    await limiter.admit([tenantRpm(10)], 10);
    await limiter.admit([tenantRpm(10)], 10);
    expect(counters.calls).toBe(1);
    counters.release();
  });

  it('allow: a request admitted while the counters did not answer is paid for by the next lease', async () => {
    const counters = new FakeCounters();
    counters.hold();
    const { limiter } = limiterOn(counters, { whenUnavailable: 'allow' });
    await limiter.admit([tenantRpm(10)], 10);
    counters.release();
    await new Promise((resolve) => setImmediate(resolve));
    // The window's 10, less the one admitted uncounted.
    expect(await admitted(limiter, [tenantRpm(10)], 20)).toBe(9);
  });

  it('refuse: answers UNAVAILABLE naming the counters and the timeout', async () => {
    const counters = new FakeCounters();
    counters.hold();
    const { limiter } = limiterOn(counters, { whenUnavailable: 'refuse' });
    const error = await refusal(limiter.admit([tenantRpm(10), functionRpm('f', 10)], 10));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toBe(
      'rate limit: the shared rate-limit counters (NATS KV) did not answer within 20 ms; retry shortly',
    );
    counters.release();
  });

  it('a lease that arrives after its request gave up is spent by the next requests', async () => {
    const counters = new FakeCounters();
    counters.hold();
    const { limiter } = limiterOn(counters, { whenUnavailable: 'refuse' });
    await refusal(limiter.admit([tenantRpm(100)], 10));
    counters.release();
    await new Promise((resolve) => setImmediate(resolve));
    const callsBefore = counters.calls;
    expect(await admitted(limiter, [tenantRpm(100)], 5)).toBe(5);
    expect(counters.calls).toBe(callsBefore);
  });

  it('a failing store is unavailable too, and is logged', async () => {
    const counters = new FakeCounters();
    counters.failWith = new Error('no responders');
    const { limiter, warnings } = limiterOn(counters, { whenUnavailable: 'refuse' });
    expect(await refusal(limiter.admit([tenantRpm(10)], 10))).toBeInstanceOf(UnavailableError);
    expect(warnings).toEqual([
      expect.objectContaining({ lease_failures: 1, when_unavailable: 'refuse' }),
    ]);
  });

  it('counts each decision in keel.inference.rate_limit.requests by outcome', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const counters = new FakeCounters();
    const { limiter } = limiterOn(counters, { meter: provider.getMeter('test') });
    await admitted(limiter, [tenantRpm(2)], 3);
    counters.hold();
    await limiter.admit([functionRpm('f', 5)], 10);
    counters.release();

    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === 'keel.inference.rate_limit.requests');
    const byOutcome = Object.fromEntries(
      (metric?.dataPoints ?? []).map((point) => [
        point.attributes['keel.rate_limit.outcome'],
        point.value,
      ]),
    );
    expect(byOutcome).toEqual({ admitted: 2, limited: 1, unavailable_allowed: 1 });
    await provider.shutdown();
  });
});
