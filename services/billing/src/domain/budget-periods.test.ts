import { router } from '@keel/contracts';
import { alertMsgId, periodsOf, thresholdsReached } from './budget-periods';

const budget = (partial: Partial<router.Budget>) =>
  router.Budget.fromPartial({
    tenantId: 't1',
    period: router.BudgetPeriod.BUDGET_PERIOD_MONTH,
    limitNanoUsd: 1_000n,
    alertPercents: [50, 80, 100],
    ...partial,
  });

describe('budget periods', () => {
  it('counts an inference against the tenant-wide budgets and its function’s, each in its period', () => {
    const budgets = [
      budget({ budgetName: 'monthly' }),
      budget({
        budgetName: 'answer-daily',
        functionName: 'support.answer',
        period: router.BudgetPeriod.BUDGET_PERIOD_DAY,
      }),
      budget({ budgetName: 'other', functionName: 'other' }),
    ];
    const at = new Date(Date.UTC(2026, 11, 15, 18, 30));
    expect(periodsOf(budgets, 'support.answer', at).map((p) => p.key)).toEqual([
      { tenantId: 't1', budgetName: 'monthly', periodStart: new Date(Date.UTC(2026, 11, 1)) },
      {
        tenantId: 't1',
        budgetName: 'answer-daily',
        periodStart: new Date(Date.UTC(2026, 11, 15)),
      },
    ]);
  });

  it('reaches a threshold at exactly its percent of the limit, not a nano-USD before', () => {
    const cap = budget({ alertPercents: [100, 50, 80] });
    expect(thresholdsReached(cap, 499n)).toEqual([]);
    expect(thresholdsReached(cap, 500n)).toEqual([50]);
    expect(thresholdsReached(cap, 999n)).toEqual([50, 80]);
    expect(thresholdsReached(cap, 1_000n)).toEqual([50, 80, 100]);
    expect(thresholdsReached(budget({ alertPercents: [150] }), 1_499n)).toEqual([]);
  });

  it('names an alert by budget, period and percent', () => {
    const key = { tenantId: 't1', budgetName: 'cap', periodStart: new Date(Date.UTC(2026, 11, 1)) };
    expect(alertMsgId(key, 80)).toBe(`t1.cap.${Date.UTC(2026, 11, 1)}.80`);
  });
});
