// Which budgets a billed inference counts against, in which period, and which alert
// thresholds a period's spend has reached. Pure: the consumer does the reading and writing.
import type { router } from '@keel/contracts';
import { budgetCovers, budgetPeriodStart } from '@keel/routing';

/** One budget's period: what its spend document and its alerts are keyed by. */
export interface BudgetPeriodKey {
  tenantId: string;
  budgetName: string;
  periodStart: Date;
}

/** The budgets of `budgets` over an inference of `functionName` at `at`, each with its period. */
export function periodsOf(
  budgets: readonly router.Budget[],
  functionName: string,
  at: Date,
): Array<{ budget: router.Budget; key: BudgetPeriodKey }> {
  return budgets
    .filter((budget) => budgetCovers(budget, functionName))
    .map((budget) => ({
      budget,
      key: {
        tenantId: budget.tenantId,
        budgetName: budget.budgetName,
        periodStart: new Date(budgetPeriodStart(budget.period, at.getTime())),
      },
    }));
}

/** The alert percents of `budget` that `spentNanoUsd` has reached, lowest first. */
export function thresholdsReached(budget: router.Budget, spentNanoUsd: bigint): number[] {
  return [...budget.alertPercents]
    .sort((a, b) => a - b)
    .filter((percent) => spentNanoUsd * 100n >= budget.limitNanoUsd * BigInt(percent));
}

/** The Nats-Msg-Id of one threshold's alert: the same for every try of it. */
export function alertMsgId(key: BudgetPeriodKey, percent: number): string {
  return `${key.tenantId}.${key.budgetName}.${key.periodStart.getTime()}.${percent}`;
}
