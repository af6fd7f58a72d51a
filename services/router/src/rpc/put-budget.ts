import type { router } from '@keel/contracts';
import { NotFoundError } from '@keel/errors';
import { actingTenant, type Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { validateBudget } from '../domain/budget';
import { budgetDoc } from '../store/budgets';

/** Creates or replaces a budget and publishes the policy that carries it to inference. */
export async function putBudgetRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.PutBudgetRequest,
): Promise<router.PutBudgetResponse> {
  const tenantId = actingTenant(principal, request.budget?.tenantId ?? '');
  const budget = validateBudget(request.budget, tenantId, deps.follower.policy, new Date());
  if (!(await deps.store.tenants.get(tenantId))) {
    throw new NotFoundError(`tenant '${tenantId}' does not exist`);
  }
  await deps.store.budgets.put(budgetDoc(budget));
  return { budget, policyVersion: await deps.publisher.publishPolicy() };
}
