// Reservations against hard budgets. Each replica spends money leased from the budget's shared
// state for the current period (see Allowance and BudgetHolds): a request reserves its maximum
// cost before any model is called, and settles what it actually cost after, giving the unused
// rest back to this replica's lease. So concurrent requests on any replicas cannot together
// spend more than the budget plus what settled requests cost beyond their reservations.
import type { router } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import { budgetPeriodStart } from '@keel/routing';
import type { Logger } from '@keel/telemetry';
import { type Counter, type Meter, metrics } from '@opentelemetry/api';
import { Allowance, type LeaseStore } from '../rate-limit/allowance';
import type { WhenUnavailable } from '../rate-limit/limiter';

/** Where budgets' shared state lives; `spent` reports a settled cost, `forget` an old period. */
export interface BudgetStore extends LeaseStore {
  spent(key: string, nanoUsd: number): void;
  forget(key: string): void;
}

export interface BudgeterOptions {
  whenUnavailable: WhenUnavailable;
  leaseTimeoutMs: number;
  logger: Pick<Logger, 'warn'>;
  now?: () => number;
  meter?: Meter;
}

/** A request's money held against its budgets until it settles; each call after the first does nothing. */
export interface Reservation {
  /** Charges what the request cost and frees the rest of what it reserved. */
  settle(costNanoUsd: bigint): void;
  /** Frees all it reserved: the request ended before any model was called. */
  release(): void;
}

export const NO_RESERVATION: Reservation = { settle: () => undefined, release: () => undefined };

export type ReserveResult = { reservation: Reservation } | { over: router.Budget };

/**
 * What the shared state had left stays a reason to refuse this long: then a request asks
 * again, since a dead replica's hold, or another's unused reservations, may have come back.
 */
const LEFT_FRESH_MS = 1_000;

/**
 * What one lease of a budget takes: a fiftieth of the limit. A replica's unspent lease is
 * money the others cannot reserve, so a budget's leases are smaller than a rate limit's.
 */
export function budgetLeaseSizeOf(limit: number): number {
  return Math.max(1, Math.floor(limit / 50));
}

type Outcome = 'reserved' | 'over' | 'unavailable_allowed' | 'unavailable_refused';

export class Budgeter {
  /** Each budget's allowance in its current period, by tenant and budget name. */
  private readonly allowances = new Map<string, Allowance>();
  private readonly now: () => number;
  private readonly decisions: Counter;

  constructor(
    private readonly store: BudgetStore,
    private readonly options: BudgeterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.decisions = (options.meter ?? metrics.getMeter('@keel/inference')).createCounter(
      'keel.inference.budget.requests',
      {
        description: 'Requests under a hard budget, by what the budget decided',
        unit: '{request}',
      },
    );
  }

  /**
   * Reserves `nanoUsd` against every one of `budgets`, or reserves nothing and names the first
   * budget that cannot cover it. Throws UnavailableError when the shared state did not answer
   * in time and the configured choice is to refuse.
   */
  async reserve(budgets: readonly router.Budget[], nanoUsd: bigint): Promise<ReserveResult> {
    const amount = Number(nanoUsd);
    const now = this.now();
    const allowances = budgets.map((budget) => this.allowanceOf(budget, now));
    const results = await Promise.all(allowances.map((allowance) => allowance.take(amount)));
    const refundAll = () =>
      results.forEach((result, i) => {
        if (result === 'admitted') allowances[i].refund(amount);
      });

    const over = results.indexOf('limited');
    if (over >= 0) {
      refundAll();
      this.count('over');
      return { over: budgets[over] };
    }
    if (results.includes('unavailable')) {
      if (this.options.whenUnavailable === 'refuse') {
        refundAll();
        this.count('unavailable_refused');
        throw new UnavailableError(
          'budget: the shared budget state (NATS KV) did not answer within ' +
            `${this.options.leaseTimeoutMs} ms; retry shortly`,
        );
      }
      // Spent all the same: a lease arriving later pays for it first.
      results.forEach((result, i) => {
        if (result === 'unavailable') allowances[i].charge(amount);
      });
      this.count('unavailable_allowed');
    } else {
      this.count('reserved');
    }
    return { reservation: this.reservationOf(allowances, amount) };
  }

  private reservationOf(allowances: Allowance[], amount: number): Reservation {
    let open = true;
    const close = (cost: number) => {
      if (!open) return;
      open = false;
      for (const allowance of allowances) {
        allowance.refund(amount);
        if (cost > 0) {
          allowance.charge(cost);
          this.store.spent(allowance.key, cost);
        }
      }
    };
    return { settle: (cost) => close(Number(cost)), release: () => close(0) };
  }

  /** The budget's allowance in the period holding `now`; earlier periods' are dropped. */
  private allowanceOf(budget: router.Budget, now: number): Allowance {
    const periodStart = budgetPeriodStart(budget.period, now);
    const id = `${budget.tenantId}.${budget.budgetName}`;
    const existing = this.allowances.get(id);
    const limit = Number(budget.limitNanoUsd);
    if (existing?.windowStart === periodStart && existing.limit === limit) return existing;
    if (existing && existing.windowStart !== periodStart) this.store.forget(existing.key);
    // A budget changed within the period gets a new allowance on the same shared state.
    const allowance = new Allowance(
      `${budget.tenantId.replaceAll('.', '/')}.${budget.budgetName}.${periodStart}`,
      periodStart,
      limit,
      this.store,
      {
        leaseTimeoutMs: this.options.leaseTimeoutMs,
        now: this.now,
        leftFreshMs: LEFT_FRESH_MS,
        leaseSize: budgetLeaseSizeOf(limit),
        onLeaseError: (error) =>
          this.options.logger.warn({ err: error }, 'budget state (NATS KV) failed to lease'),
      },
    );
    this.allowances.set(id, allowance);
    return allowance;
  }

  private count(outcome: Outcome): void {
    this.decisions.add(1, { 'keel.budget.outcome': outcome });
  }
}
