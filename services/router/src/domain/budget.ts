// Checks a budget before the router stores it: every field named when it is wrong, and a
// DOWNGRADE budget's variant must exist on its function, so inference can always run it.
import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import type { Policy } from '@keel/routing';

const { BUDGET_PERIOD_DAY, BUDGET_PERIOD_MONTH } = router.BudgetPeriod;
const { BUDGET_ACTION_UNSPECIFIED, BUDGET_ACTION_REFUSE, BUDGET_ACTION_DOWNGRADE } =
  router.BudgetAction;

/** Lower-case letters, digits, `-` and `_`; no dot, so a name is one token of a NATS KV key. */
export const BUDGET_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The alert thresholds of a budget that names none. */
export const DEFAULT_ALERT_PERCENTS = [50, 80, 100];

/**
 * Inference counts a budget in a JavaScript number of nano-USD: above 2^53 - 1 (about $9
 * million) a count would lose precision.
 */
export const MAX_BUDGET_LIMIT_NANO_USD = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The budget to store for `tenantId`, checked against the tenant's functions as `policy` holds
 * them; alert percents sorted, without repeats, defaulting to 50, 80 and 100.
 */
export function validateBudget(
  budget: router.Budget | undefined,
  tenantId: string,
  policy: Policy | null,
  updatedAt: Date,
): router.Budget {
  if (!budget) throw new InvalidArgumentError('budget', 'a budget is required');
  validateBudgetName(budget.budgetName, 'budget.budget_name');
  if (budget.period !== BUDGET_PERIOD_DAY && budget.period !== BUDGET_PERIOD_MONTH) {
    throw new InvalidArgumentError(
      'budget.period',
      'must be BUDGET_PERIOD_DAY or BUDGET_PERIOD_MONTH',
    );
  }
  if (budget.limitNanoUsd <= 0n) {
    throw new InvalidArgumentError(
      'budget.limit_nano_usd',
      `must be above 0 (got ${budget.limitNanoUsd})`,
    );
  }
  if (budget.limitNanoUsd > MAX_BUDGET_LIMIT_NANO_USD) {
    throw new InvalidArgumentError(
      'budget.limit_nano_usd',
      `must be at most ${MAX_BUDGET_LIMIT_NANO_USD} (got ${budget.limitNanoUsd})`,
    );
  }
  budget.alertPercents.forEach((percent, i) => {
    if (!Number.isInteger(percent) || percent < 1 || percent > 1000) {
      throw new InvalidArgumentError(
        `budget.alert_percents[${i}]`,
        `must be from 1 to 1000 (got ${percent})`,
      );
    }
  });
  const actions = [BUDGET_ACTION_UNSPECIFIED, BUDGET_ACTION_REFUSE, BUDGET_ACTION_DOWNGRADE];
  if (!actions.includes(budget.action)) {
    throw new InvalidArgumentError('budget.action', `unknown action ${budget.action}`);
  }

  const fn =
    budget.functionName === '' ? null : (policy?.function(tenantId, budget.functionName) ?? null);
  if (budget.functionName !== '' && !fn) {
    throw new InvalidArgumentError(
      'budget.function_name',
      `function '${budget.functionName}' does not exist`,
    );
  }
  if (budget.action === BUDGET_ACTION_DOWNGRADE) {
    if (!fn) {
      throw new InvalidArgumentError(
        'budget.function_name',
        'a DOWNGRADE budget names the function whose variant it downgrades to',
      );
    }
    const variants = fn.variants.map((variant) => variant.variantName);
    if (!variants.includes(budget.downgradeVariant)) {
      throw new InvalidArgumentError(
        'budget.downgrade_variant',
        `'${budget.downgradeVariant}' is not a variant of function '${fn.functionName}' ` +
          `(its variants: ${variants.join(', ')})`,
      );
    }
  } else if (budget.downgradeVariant !== '') {
    throw new InvalidArgumentError(
      'budget.downgrade_variant',
      'only a BUDGET_ACTION_DOWNGRADE budget runs a downgrade variant',
    );
  }

  const percents = budget.alertPercents.length
    ? [...new Set(budget.alertPercents)].sort((a, b) => a - b)
    : DEFAULT_ALERT_PERCENTS;
  return {
    tenantId,
    budgetName: budget.budgetName,
    functionName: budget.functionName,
    period: budget.period,
    limitNanoUsd: budget.limitNanoUsd,
    alertPercents: percents,
    action: budget.action,
    downgradeVariant: budget.downgradeVariant,
    updatedAt,
  };
}

export function validateBudgetName(name: string, field: string): void {
  if (!BUDGET_NAME.test(name)) {
    throw new InvalidArgumentError(
      field,
      `'${name}' must be 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit`,
    );
  }
}
