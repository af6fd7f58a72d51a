import { router } from '@keel/contracts';
import { budgetOf, describeBudgetLine } from './budgets';

describe('keel budget flags', () => {
  it('turns the flags into the budget the router stores', () => {
    expect(
      budgetOf('answer-daily', {
        limitUsd: 2_500_000_000n,
        period: 'day',
        function: 'support.answer',
        action: 'downgrade',
        downgradeVariant: 'small',
        alerts: [50, 90],
      }),
    ).toEqual(
      router.Budget.fromPartial({
        budgetName: 'answer-daily',
        functionName: 'support.answer',
        period: router.BudgetPeriod.BUDGET_PERIOD_DAY,
        limitNanoUsd: 2_500_000_000n,
        alertPercents: [50, 90],
        action: router.BudgetAction.BUDGET_ACTION_DOWNGRADE,
        downgradeVariant: 'small',
      }),
    );
  });

  it('an alert budget of every function leaves action, function and alerts unset', () => {
    expect(budgetOf('cap', { limitUsd: 1n, period: 'month', action: 'alert' })).toMatchObject({
      functionName: '',
      action: router.BudgetAction.BUDGET_ACTION_UNSPECIFIED,
      alertPercents: [],
    });
  });

  it('prints a budget on one line, its limit in dollars', () => {
    const line = describeBudgetLine(
      router.Budget.fromPartial({
        budgetName: 'monthly-cap',
        period: router.BudgetPeriod.BUDGET_PERIOD_MONTH,
        limitNanoUsd: 50_000_000_000n,
        alertPercents: [50, 80, 100],
        action: router.BudgetAction.BUDGET_ACTION_REFUSE,
      }),
    );
    expect(line).toBe(
      'monthly-cap: $50.000000000 per month, every function, refuse; alerts at 50%, 80%, 100%',
    );
  });
});
