// The budgets' shared state in a NATS KV bucket: one key per budget and period, holding what
// was spent in the period and what each replica holds leased, raised by compare-and-set so no
// two replicas lease the same money. A replica's hold covers its requests in flight and the
// unspent rest of its leases; it lasts BUDGET_HOLD_TTL_MS past its last renewal, so the holds of
// a replica that died (its reservations included) return to the budget within that time.
import { type Bus, KvConflictError, type KvBucket } from '@keel/bus';
import { bucketsOf } from '@keel/contracts';
import { budgetLeaseSizeOf } from '../budget/budgeter';
import type { Lease, LeaseStore } from '../rate-limit/allowance';
import { grantOf } from '../rate-limit/window';

/** How long a replica's hold outlives its last renewal. */
export const BUDGET_HOLD_TTL_MS = 60_000;
/** Spend settled since the last renewal reaches the shared count within this long. */
const RENEW_EVERY_MS = BUDGET_HOLD_TTL_MS / 4;
/** A key untouched this long is dropped by KV: longer than a month, the longest period. */
export const BUDGETS_MAX_AGE_MS = 40 * 24 * 3600 * 1000;

interface PeriodState {
  spent: number;
  holds: Record<string, { amount: number; until: number }>;
}

/** This replica's part of one key: its hold there, and settled spend not reported yet. */
interface Mine {
  limit: number;
  held: number;
  unreported: number;
}

export interface BudgetHoldsOptions {
  /** Names this replica's hold; unique per process. */
  replicaId: string;
  now?: () => number;
  holdTtlMs?: number;
  onRenewError?: (error: unknown) => void;
}

export class BudgetHolds implements LeaseStore {
  private readonly mine = new Map<string, Mine>();
  private readonly now: () => number;
  private readonly holdTtlMs: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly bucket: KvBucket,
    private readonly options: BudgetHoldsOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.holdTtlMs = options.holdTtlMs ?? BUDGET_HOLD_TTL_MS;
    this.timer = setInterval(() => void this.renewAll(), RENEW_EVERY_MS);
    this.timer.unref();
  }

  /** Opens (creating it if need be) the bucket `<prefix>_budgets` of the bus's prefix. */
  static async open(bus: Bus, options: BudgetHoldsOptions): Promise<BudgetHolds> {
    const bucket = await bus.kv(bucketsOf(bus.prefix).budgets, {
      history: 1,
      ttlMs: BUDGETS_MAX_AGE_MS,
    });
    return new BudgetHolds(bucket, options);
  }

  /**
   * Leases a budget lease (or `need`, if more) when what is left covers `need`, and reports the
   * spend settled since the last write.
   */
  lease(key: string, limit: number, need: number): Promise<Lease> {
    return this.sync(key, limit, need);
  }

  /** Records what a request under the key spent: it leaves the hold for the spent count. */
  spent(key: string, nanoUsd: number): void {
    const mine = this.mine.get(key);
    if (mine) mine.unreported += nanoUsd;
  }

  /** Stops renewing the key (its period is over): what this replica held there lapses. */
  forget(key: string): void {
    this.mine.delete(key);
  }

  /** Reports the spend and extends the hold of every key this replica holds part of. */
  async renewAll(): Promise<void> {
    await this.syncAll(true);
  }

  /** Stops renewing; reports the spend and gives back every hold (the replica is stopping). */
  async releaseAll(): Promise<void> {
    clearInterval(this.timer);
    await this.syncAll(false);
  }

  private async syncAll(keepHolds: boolean): Promise<void> {
    for (const [key, mine] of this.mine) {
      if (mine.held === 0 && mine.unreported === 0) continue;
      try {
        await this.sync(key, mine.limit, null, keepHolds);
      } catch (error) {
        this.options.onRenewError?.(error);
      }
    }
  }

  /**
   * One compare-and-set: report the spend, renew the hold (or give it back), and grant for
   * `need` (null: grant nothing).
   */
  private async sync(
    key: string,
    limit: number,
    need: number | null,
    keepHold = true,
  ): Promise<Lease> {
    const mine = this.mine.get(key) ?? { limit, held: 0, unreported: 0 };
    mine.limit = limit;
    this.mine.set(key, mine);
    const me = this.options.replicaId;
    for (;;) {
      const entry = await this.bucket.get(key);
      const state = entry ? stateOf(entry.value) : { spent: 0, holds: {} };
      const now = this.now();
      const report = mine.unreported;
      const held = keepHold ? Math.max(0, mine.held - report) : 0;
      let used = state.spent + report + held;
      const holds: PeriodState['holds'] = {};
      for (const [replica, hold] of Object.entries(state.holds)) {
        // An expired hold is its replica's, dead or cut off: it returns to the budget.
        if (replica === me || hold.until <= now) continue;
        holds[replica] = hold;
        used += hold.amount;
      }
      const granted = need === null ? 0 : grantOf(used, limit, need, budgetLeaseSizeOf(limit));
      const left = Math.max(0, limit - used - granted);
      if (need !== null && granted === 0 && report === 0 && entry) return { granted, left };
      holds[me] = { amount: held + granted, until: now + this.holdTtlMs };
      const value = Buffer.from(JSON.stringify({ spent: state.spent + report, holds }));
      try {
        if (entry) await this.bucket.update(key, value, entry.revision);
        else await this.bucket.create(key, value);
      } catch (error) {
        // Another replica wrote in between: read its state and try again.
        if (!(error instanceof KvConflictError)) throw error;
        continue;
      }
      mine.held = held + granted;
      mine.unreported -= report;
      return { granted, left };
    }
  }
}

function stateOf(value: Uint8Array): PeriodState {
  const text = Buffer.from(value).toString('utf8');
  const state = JSON.parse(text) as PeriodState;
  if (!Number.isSafeInteger(state.spent) || typeof state.holds !== 'object') {
    throw new Error(`budget state holds '${text}', not a spend and holds`);
  }
  return state;
}
