// The rate-limit step: admits a request against every limit it counts against, or refuses it
// with RESOURCE_EXHAUSTED naming the limit. Limits hold across every replica together: each
// replica spends budget leased from the window's shared counter (see Allowance).
import type { inference } from '@keel/contracts';
import { ResourceExhaustedError, UnavailableError } from '@keel/errors';
import type { Logger } from '@keel/telemetry';
import { type Counter, type Meter, metrics } from '@opentelemetry/api';
import { Allowance, type LeaseStore } from './allowance';
import { type RateLimit, describeLimit } from './limits';
import { counterKey, limitName, retryAfterMs, windowStartOf } from './window';

/** What a request does when the shared counters do not answer in time. */
export type WhenUnavailable = 'allow' | 'refuse';

export interface RateLimiterOptions {
  whenUnavailable: WhenUnavailable;
  leaseTimeoutMs: number;
  logger: Pick<Logger, 'warn'>;
  now?: () => number;
  meter?: Meter;
}

/** A request over a limit. `retryAfterMs` is null when waiting cannot help (it is too big). */
export class RateLimitedError extends ResourceExhaustedError {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

/** What the limiter needs to hear of an admitted request after its answer. */
export interface Admission {
  /**
   * Charges the output tokens the attempts generated to the request's token limits, in the
   * window current now (the answer may end in a later window than it began).
   */
  chargeOutput(attempts: inference.Attempt[]): void;
}

const UNLIMITED: Admission = { chargeOutput: () => undefined };

type Outcome = 'admitted' | 'limited' | 'unavailable_allowed' | 'unavailable_refused';

/** While the counters fail, one log line in this long says how many leases failed. */
const LEASE_FAILURE_LOG_MS = 10_000;

export class RateLimiter {
  /** Each limit's allowance of its current window, by the limit's name. */
  private readonly allowances = new Map<string, Allowance>();
  private currentWindow = 0;
  private readonly now: () => number;
  private readonly decisions: Counter;
  private leaseFailures = 0;
  private lastLeaseFailureLog = -Infinity;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: RateLimiterOptions,
  ) {
    this.now = options.now ?? Date.now;
    // Created here, not at import: the metrics API has no proxy for a provider registered later.
    this.decisions = (options.meter ?? metrics.getMeter('@keel/inference')).createCounter(
      'keel.inference.rate_limit.requests',
      { description: 'Requests under a rate limit, by what the limit decided', unit: '{request}' },
    );
  }

  /**
   * Admits a request of `inputTokens` against `limits`, or throws RateLimitedError for the
   * first limit it is over, or UnavailableError when the shared counters did not answer in time
   * and the configured choice is to refuse. A refused request spends nothing.
   */
  async admit(limits: RateLimit[], inputTokens: number): Promise<Admission> {
    if (limits.length === 0) return UNLIMITED;
    const now = this.now();
    const amountOf = (limit: RateLimit) => (limit.kind === 'rpm' ? 1 : inputTokens);
    const tooBig = limits.find((limit) => amountOf(limit) > limit.perMinute);
    if (tooBig) {
      this.count('limited');
      throw new RateLimitedError(
        `rate limit: ${describeLimit(tooBig)}; this request's ${inputTokens} input tokens alone ` +
          'are more than that',
        null,
      );
    }

    const allowances = limits.map((limit) => this.allowanceOf(limit, now));
    const results = await Promise.all(
      allowances.map((allowance, i) => allowance.take(amountOf(limits[i]))),
    );
    const refundAll = () =>
      results.forEach((result, i) => {
        if (result === 'admitted') allowances[i].refund(amountOf(limits[i]));
      });

    const limited = results.indexOf('limited');
    if (limited >= 0) {
      refundAll();
      this.count('limited');
      const retryAfter = retryAfterMs(now);
      throw new RateLimitedError(
        `rate limit: ${describeLimit(limits[limited])}; the minute's window resets in ` +
          `${Math.ceil(retryAfter / 1000)} s`,
        retryAfter,
      );
    }
    if (results.includes('unavailable')) {
      if (this.options.whenUnavailable === 'refuse') {
        refundAll();
        this.count('unavailable_refused');
        throw new UnavailableError(
          `rate limit: the shared rate-limit counters (NATS KV) did not answer within ` +
            `${this.options.leaseTimeoutMs} ms; retry shortly`,
        );
      }
      // Spent all the same: a lease arriving later pays for it first.
      results.forEach((result, i) => {
        if (result === 'unavailable') allowances[i].charge(amountOf(limits[i]));
      });
      this.count('unavailable_allowed');
    } else {
      this.count('admitted');
    }

    const tokenLimits = limits.filter((limit) => limit.kind === 'tpm');
    return {
      chargeOutput: (attempts) => {
        const tokens = outputTokensOf(attempts);
        if (tokens <= 0 || tokenLimits.length === 0) return;
        const at = this.now();
        for (const limit of tokenLimits) this.allowanceOf(limit, at).charge(tokens);
      },
    };
  }

  /** The limit's allowance in the window holding `now`; earlier windows' are dropped. */
  private allowanceOf(limit: RateLimit, now: number): Allowance {
    const windowStart = windowStartOf(now);
    if (windowStart > this.currentWindow) {
      this.currentWindow = windowStart;
      for (const [key, allowance] of this.allowances) {
        if (allowance.windowStart < windowStart) this.allowances.delete(key);
      }
    }
    const id = limitName(limit.scope, limit.kind);
    const existing = this.allowances.get(id);
    // A limit changed within the window gets a new allowance on the same shared counter.
    if (existing?.windowStart === windowStart && existing.limit === limit.perMinute) {
      return existing;
    }
    const allowance = new Allowance(
      counterKey(limit.scope, limit.kind, windowStart),
      windowStart,
      limit.perMinute,
      this.store,
      {
        leaseTimeoutMs: this.options.leaseTimeoutMs,
        now: this.now,
        onLeaseError: (error) => this.leaseFailed(error),
      },
    );
    this.allowances.set(id, allowance);
    return allowance;
  }

  private leaseFailed(error: unknown): void {
    this.leaseFailures += 1;
    const now = this.now();
    if (now - this.lastLeaseFailureLog < LEASE_FAILURE_LOG_MS) return;
    this.options.logger.warn(
      {
        err: error,
        lease_failures: this.leaseFailures,
        when_unavailable: this.options.whenUnavailable,
      },
      'rate-limit counters (NATS KV) failed to lease budget',
    );
    this.leaseFailures = 0;
    this.lastLeaseFailureLog = now;
  }

  private count(outcome: Outcome): void {
    this.decisions.add(1, { 'keel.rate_limit.outcome': outcome });
  }
}

/** Output tokens generated by every attempt, the failed ones' included. */
function outputTokensOf(attempts: inference.Attempt[]): number {
  return Number(attempts.reduce((sum, attempt) => sum + (attempt.usage?.outputTokens ?? 0n), 0n));
}
