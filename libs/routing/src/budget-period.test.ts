import { router } from '@keel/contracts';
import { budgetCovers, budgetPeriodStart, describeBudget, isHardBudget } from './budget-period';

const { BUDGET_PERIOD_DAY, BUDGET_PERIOD_MONTH } = router.BudgetPeriod;

describe('budgetPeriodStart', () => {
  it('starts a day period at UTC midnight', () => {
    const at = Date.UTC(2026, 11, 1, 23, 59, 59, 999);
    expect(budgetPeriodStart(BUDGET_PERIOD_DAY, at)).toBe(Date.UTC(2026, 11, 1));
    expect(budgetPeriodStart(BUDGET_PERIOD_DAY, at + 1)).toBe(Date.UTC(2026, 11, 2));
  });

  it('starts a month period on the 1st at UTC midnight, February and leap years included', () => {
    expect(budgetPeriodStart(BUDGET_PERIOD_MONTH, Date.UTC(2028, 1, 29, 12))).toBe(
      Date.UTC(2028, 1, 1),
    );
    expect(budgetPeriodStart(BUDGET_PERIOD_MONTH, Date.UTC(2026, 11, 31, 23, 59))).toBe(
      Date.UTC(2026, 11, 1),
    );
    expect(budgetPeriodStart(BUDGET_PERIOD_MONTH, Date.UTC(2027, 0, 1))).toBe(Date.UTC(2027, 0, 1));
  });
});

describe('budgets', () => {
  const budget = router.Budget.fromPartial({
    tenantId: 't1',
    budgetName: 'cap',
    functionName: 'support.answer',
    action: router.BudgetAction.BUDGET_ACTION_REFUSE,
  });

  it('a function budget covers that function only; a tenant-wide one every function', () => {
    expect(budgetCovers(budget, 'support.answer')).toBe(true);
    expect(budgetCovers(budget, 'other')).toBe(false);
    expect(budgetCovers({ ...budget, functionName: '' }, 'other')).toBe(true);
  });

  it('a budget without an action only alerts', () => {
    expect(isHardBudget(budget)).toBe(true);
    expect(isHardBudget({ ...budget, action: router.BudgetAction.BUDGET_ACTION_UNSPECIFIED })).toBe(
      false,
    );
  });

  it('names the budget, its tenant and its function', () => {
    expect(describeBudget(budget)).toBe("budget 'cap' of tenant t1 (function 'support.answer')");
    expect(describeBudget({ ...budget, functionName: '' })).toBe("budget 'cap' of tenant t1");
  });
});
