// One replica's share of one window's budget: leased from the shared counter, spent locally,
// so a request pays a round trip to NATS KV only when its lease runs dry. A new lease is taken
// ahead, once less than half a lease is left, so requests rarely wait for one.
import { leaseSizeOf } from './window';

/** What a lease took from a window's shared counter, and what the window still has after it. */
export interface Lease {
  granted: number;
  left: number;
}

/** Where the windows' shared counters live (every replica leases from the same ones). */
export interface LeaseStore {
  /**
   * Takes `grantOf(leased, limit, need)` of the budget of the window at `key`, atomically
   * against every other replica.
   */
  lease(key: string, limit: number, need: number): Promise<Lease>;
}

export type TakeResult = 'admitted' | 'limited' | 'unavailable';

export interface AllowanceOptions {
  /** The longest a request waits for a lease before the store counts as unavailable. */
  leaseTimeoutMs: number;
  now: () => number;
  /** A lease failed (its waiters, if any, are told it is unavailable). */
  onLeaseError: (error: unknown) => void;
  /**
   * How long what the shared counter had left stays a reason to refuse without asking again;
   * unset: for good, as when leases are never given back.
   */
  leftFreshMs?: number;
  /** What one lease takes when no request needs more; default a tenth of the limit. */
  leaseSize?: number;
}

interface Refill {
  done: Promise<'refilled' | 'failed'>;
  startedAt: number;
}

export class Allowance {
  /** Leased and not yet spent; below zero when `charge` overdrew it. */
  private balance = 0;
  /** What the shared counter had left at the last lease: a bound, as other replicas lease too. */
  private left = Infinity;
  private leftAt = 0;
  private refill: Refill | null = null;
  /** What the requests waiting for a lease want together: the next lease covers them all. */
  private waiting = 0;
  private readonly leaseSize: number;

  constructor(
    readonly key: string,
    readonly windowStart: number,
    readonly limit: number,
    private readonly store: LeaseStore,
    private readonly options: AllowanceOptions,
  ) {
    this.leaseSize = options.leaseSize ?? leaseSizeOf(limit);
  }

  /** Spends `amount` of the window's budget, leasing more when this replica's share is short. */
  async take(amount: number): Promise<TakeResult> {
    for (;;) {
      if (this.balance >= amount) {
        this.balance -= amount;
        this.refillAhead();
        return 'admitted';
      }
      const need = amount - this.balance;
      // Where leases are never given back, what the window had left only shrinks.
      if (need > this.left && !this.leftStale()) return 'limited';
      this.waiting += amount;
      try {
        if ((await this.refilled(need)) === 'unavailable') return 'unavailable';
      } finally {
        this.waiting -= amount;
      }
    }
  }

  /** Gives back what `take` spent, for a request another limit refused. */
  refund(amount: number): void {
    this.balance += amount;
  }

  /**
   * Spends `amount` whatever the balance (output tokens generated, a request admitted while the
   * counters did not answer): an overdraft is paid from the next lease.
   */
  charge(amount: number): void {
    this.balance -= amount;
    this.refillAhead();
  }

  private leftStale(): boolean {
    const freshMs = this.options.leftFreshMs ?? Infinity;
    return this.options.now() - this.leftAt >= freshMs;
  }

  private refillAhead(): void {
    if (this.refill || this.left === 0 || this.balance * 2 >= this.leaseSize) return;
    this.startRefill(0);
  }

  /**
   * Waits for a lease (the one in flight, else a new one covering `need`), no longer than the
   * lease timeout counted from when that lease was asked for.
   */
  private async refilled(need: number): Promise<'refilled' | 'unavailable'> {
    // A burst waits for one lease, not one after another; no more than was left last time.
    const all = Math.max(need, Math.min(this.waiting - this.balance, this.left));
    const refill = this.refill ?? this.startRefill(all);
    const wait = refill.startedAt + this.options.leaseTimeoutMs - this.options.now();
    if (wait <= 0) return 'unavailable';
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'failed'>((resolve) => {
      timer = setTimeout(() => resolve('failed'), wait);
    });
    try {
      const result = await Promise.race([refill.done, timedOut]);
      return result === 'refilled' ? 'refilled' : 'unavailable';
    } finally {
      clearTimeout(timer);
    }
  }

  private startRefill(need: number): Refill {
    const done = this.store.lease(this.key, this.limit, need).then(
      ({ granted, left }) => {
        // A lease that arrives after its waiters gave up is still this replica's to spend.
        this.balance += granted;
        this.left = left;
        this.leftAt = this.options.now();
        this.refill = null;
        return 'refilled' as const;
      },
      (error: unknown) => {
        this.refill = null;
        this.options.onLeaseError(error);
        return 'failed' as const;
      },
    );
    this.refill = { done, startedAt: this.options.now() };
    return this.refill;
  }
}
