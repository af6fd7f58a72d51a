// The periods budgets count spend over: a UTC day or a UTC calendar month. Inference reserves
// against a period and billing alerts on one, so both place a moment in the same period.
import { router } from '@keel/contracts';

const DAY_MS = 24 * 3600 * 1000;

/** The start of the period of `period` holding `at`, ms since the epoch (UTC). */
export function budgetPeriodStart(period: router.BudgetPeriod, at: number): number {
  if (period === router.BudgetPeriod.BUDGET_PERIOD_DAY) return Math.floor(at / DAY_MS) * DAY_MS;
  if (period === router.BudgetPeriod.BUDGET_PERIOD_MONTH) {
    const date = new Date(at);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  throw new Error(`budget period ${period} has no length`);
}

/** Whether the budget applies to requests of `functionName`: tenant-wide, or that function's. */
export function budgetCovers(budget: router.Budget, functionName: string): boolean {
  return budget.functionName === '' || budget.functionName === functionName;
}

/** Whether inference stops requests under the budget (REFUSE or DOWNGRADE), not only alerts. */
export function isHardBudget(budget: router.Budget): boolean {
  return budget.action !== router.BudgetAction.BUDGET_ACTION_UNSPECIFIED;
}

/** How a message names a budget: `budget 'monthly-cap' of tenant t1`. */
export function describeBudget(budget: router.Budget): string {
  const scope = budget.functionName === '' ? '' : ` (function '${budget.functionName}')`;
  return `budget '${budget.budgetName}' of tenant ${budget.tenantId}${scope}`;
}

/** The start of the next period after the one holding `at`: when the budget renews. */
export function budgetPeriodEnd(period: router.BudgetPeriod, at: number): number {
  const start = budgetPeriodStart(period, at);
  if (period === router.BudgetPeriod.BUDGET_PERIOD_DAY) return start + DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
