import { router } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import type { Lease } from '../rate-limit/allowance';
import { grantOf } from '../rate-limit/window';
import { type BudgetStore, Budgeter, type BudgeterOptions, type Reservation } from './budgeter';

const NOW = Date.UTC(2026, 11, 1, 12);
const MONTH_START = Date.UTC(2026, 11, 1);

/** The shared state in memory: what each key leased, and the spend reported. */
class FakeStore implements BudgetStore {
  readonly leased = new Map<string, number>();
  readonly spentByKey = new Map<string, number>();
  calls = 0;
  held = false;

  async lease(key: string, limit: number, need: number): Promise<Lease> {
    this.calls += 1;
    if (this.held) await new Promise(() => undefined);
    const leased = this.leased.get(key) ?? 0;
    const granted = grantOf(leased, limit, need);
    this.leased.set(key, leased + granted);
    return { granted, left: limit - leased - granted };
  }

  spent(key: string, nanoUsd: number): void {
    this.spentByKey.set(key, (this.spentByKey.get(key) ?? 0) + nanoUsd);
  }

  forget(): void {}
}

const budget = (name: string, limit: bigint, functionName = '') =>
  router.Budget.fromPartial({
    tenantId: 't1',
    budgetName: name,
    functionName,
    period: router.BudgetPeriod.BUDGET_PERIOD_MONTH,
    limitNanoUsd: limit,
    action: router.BudgetAction.BUDGET_ACTION_REFUSE,
  });

function budgeterOn(store: BudgetStore, options: Partial<BudgeterOptions> = {}) {
  return new Budgeter(store, {
    whenUnavailable: 'allow',
    leaseTimeoutMs: 20,
    logger: { warn: () => undefined },
    now: () => NOW,
    ...options,
  });
}

async function reserved(
  budgeter: Budgeter,
  budgets: router.Budget[],
  amount: bigint,
): Promise<Reservation | null> {
  const result = await budgeter.reserve(budgets, amount);
  return 'reservation' in result ? result.reservation : null;
}

describe('Budgeter', () => {
  it('reserves up to the limit, then names the budget that cannot cover a request', async () => {
    const budgeter = budgeterOn(new FakeStore());
    const cap = budget('cap', 1_000n);
    for (let i = 0; i < 10; i++) expect(await reserved(budgeter, [cap], 100n)).not.toBeNull();
    expect(await budgeter.reserve([cap], 100n)).toEqual({ over: cap });
  });

  it('settling gives the unused part of a reservation back for the next requests', async () => {
    const budgeter = budgeterOn(new FakeStore());
    const cap = budget('cap', 1_000n);
    for (let i = 0; i < 10; i++) (await reserved(budgeter, [cap], 100n))!.settle(40n);
    // 400 spent: six more reservations of 100 fit, not seven.
    const more = [];
    for (let i = 0; i < 7; i++) more.push(await reserved(budgeter, [cap], 100n));
    expect(more.filter((r) => r !== null)).toHaveLength(6);
  });

  it('reports each settled cost to the shared state once, and a released reservation spends nothing', async () => {
    const store = new FakeStore();
    const budgeter = budgeterOn(store);
    const cap = budget('cap', 1_000n);
    const first = (await reserved(budgeter, [cap], 100n))!;
    first.settle(70n);
    first.settle(70n);
    first.release();
    (await reserved(budgeter, [cap], 100n))!.release();
    expect([...store.spentByKey.entries()]).toEqual([[`t1.cap.${MONTH_START}`, 70]]);
  });

  it('a request over one of its budgets reserves nothing of the others', async () => {
    const budgeter = budgeterOn(new FakeStore());
    const tenantWide = budget('tenant', 1_000n);
    const fnCap = budget('fn', 150n, 'support.answer');
    expect(await reserved(budgeter, [tenantWide, fnCap], 100n)).not.toBeNull();
    expect(await budgeter.reserve([tenantWide, fnCap], 100n)).toEqual({ over: fnCap });
    // The tenant's 1000 less the one 100 reserved.
    let fits = 0;
    while ((await reserved(budgeter, [tenantWide], 100n)) !== null) fits += 1;
    expect(fits).toBe(9);
  });

  it('two replicas sharing the state reserve the limit together, not each', async () => {
    const store = new FakeStore();
    const replicas = [budgeterOn(store), budgeterOn(store)];
    const cap = budget('cap', 1_000n);
    let total = 0;
    for (let i = 0; i < 40; i++) {
      if ((await reserved(replicas[i % 2], [cap], 50n)) !== null) total += 1;
    }
    expect(total).toBe(20);
  });

  it('refuse: answers UNAVAILABLE when the shared state does not answer in time', async () => {
    const store = new FakeStore();
    store.held = true;
    const budgeter = budgeterOn(store, { whenUnavailable: 'refuse' });
    await expect(budgeter.reserve([budget('cap', 1_000n)], 10n)).rejects.toThrow(
      new UnavailableError(
        'budget: the shared budget state (NATS KV) did not answer within 20 ms; retry shortly',
      ),
    );
  });

  it('allow: runs the request when the shared state does not answer in time', async () => {
    const store = new FakeStore();
    store.held = true;
    const budgeter = budgeterOn(store, { whenUnavailable: 'allow' });
    expect(await reserved(budgeter, [budget('cap', 1_000n)], 10n)).not.toBeNull();
  });
});
