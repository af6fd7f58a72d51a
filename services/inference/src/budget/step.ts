// The budget step of the request path, after the rate limits: reserves the request's maximum
// cost against every hard budget over it (the tenant's and its function's), in the current UTC
// day or month. A budget that cannot cover it refuses with RESOURCE_EXHAUSTED naming it, or,
// when its action is DOWNGRADE, re-routes to its cheaper variant if that one's maximum fits.
import type { ModelCapability } from '@keel/catalog';
import { router } from '@keel/contracts';
import { FailedPreconditionError, ResourceExhaustedError, UnavailableError } from '@keel/errors';
import {
  type Policy,
  budgetCovers,
  budgetPeriodEnd,
  describeBudget,
  isHardBudget,
} from '@keel/routing';
import { type Route, type RouteInput, routeRequest } from '../domain/route';
import { type Budgeter, NO_RESERVATION, type Reservation } from './budgeter';
import { maxCostOf } from './estimate';

const PERIOD_NAMES: Record<number, string> = {
  [router.BudgetPeriod.BUDGET_PERIOD_DAY]: 'day',
  [router.BudgetPeriod.BUDGET_PERIOD_MONTH]: 'month',
};

export async function reserveBudget(
  budgeter: Budgeter,
  policy: Policy | null,
  tenantId: string,
  route: Route,
  request: RouteInput,
  needs: ModelCapability[],
  /** When the request started: a downgrade routes by the catalog in effect then, as the route did. */
  startedAt: Date,
): Promise<{ route: Route; reservation: Reservation }> {
  if (!policy) {
    throw new UnavailableError('the routing policy has not been loaded yet; retry shortly');
  }
  const first = await reserveFor(budgeter, policy, tenantId, route);
  if ('reservation' in first) return { route, reservation: first.reservation };

  const { over, maxCost } = first;
  const downgrade = over.action === router.BudgetAction.BUDGET_ACTION_DOWNGRADE;
  if (!downgrade || over.downgradeVariant === route.decision.variantName) {
    throw budgetExhausted(over, maxCost);
  }
  // The downgrade runs the budget's variant with its own chain, whatever model the caller pinned.
  const cheaper = await routeRequest(
    policy,
    tenantId,
    {
      ...request,
      functionName: route.decision.functionName,
      model: '',
      variantName: over.downgradeVariant,
    },
    needs,
    startedAt,
  );
  const second = await reserveFor(budgeter, policy, tenantId, cheaper);
  if ('reservation' in second) {
    return {
      route: { ...cheaper, downgradedByBudget: over.budgetName },
      reservation: second.reservation,
    };
  }
  throw budgetExhausted(second.over, second.maxCost, over.downgradeVariant);
}

type Reserved = { reservation: Reservation } | { over: router.Budget; maxCost: bigint };

async function reserveFor(
  budgeter: Budgeter,
  policy: Policy,
  tenantId: string,
  route: Route,
): Promise<Reserved> {
  const budgets = policy
    .budgets(tenantId)
    .filter((budget) => isHardBudget(budget) && budgetCovers(budget, route.decision.functionName));
  if (budgets.length === 0) return { reservation: NO_RESERVATION };
  const maxCost = maxCostOf(route.chain, route.inputTokens.tokens, route.maxTokens);
  if ('unpricedModel' in maxCost) {
    throw new FailedPreconditionError(
      `${describeBudget(budgets[0])}: model '${maxCost.unpricedModel}' has no price, so the ` +
        'cost of a request cannot be bounded under a hard budget; price the model or take it ' +
        `out of variant '${route.decision.variantName}'`,
    );
  }
  const result = await budgeter.reserve(budgets, maxCost.nanoUsd);
  return 'over' in result ? { over: result.over, maxCost: maxCost.nanoUsd } : result;
}

function budgetExhausted(
  budget: router.Budget,
  maxCost: bigint,
  downgradeVariant?: string,
): ResourceExhaustedError {
  const period = PERIOD_NAMES[budget.period] ?? 'period';
  const renews = new Date(budgetPeriodEnd(budget.period, Date.now())).toISOString();
  const which = downgradeVariant ? ` even on downgrade variant '${downgradeVariant}'` : '';
  return new ResourceExhaustedError(
    `${describeBudget(budget)}: what is left of its ${budget.limitNanoUsd} nano-USD this ` +
      `${period} cannot cover this request's maximum cost of ${maxCost} nano-USD${which}; ` +
      `it renews at ${renews}`,
  );
}
