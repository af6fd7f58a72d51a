import type { router } from '@keel/contracts';
import { NotFoundError } from '@keel/errors';
import { actingTenant, type Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { validateBudgetName } from '../domain/budget';

/** Removes a budget and publishes the policy without it. */
export async function deleteBudgetRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.DeleteBudgetRequest,
): Promise<router.DeleteBudgetResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  validateBudgetName(request.budgetName, 'budget_name');
  if (!(await deps.store.budgets.delete(tenantId, request.budgetName))) {
    throw new NotFoundError(
      `budget '${request.budgetName}' of tenant '${tenantId}' does not exist`,
    );
  }
  return { policyVersion: await deps.publisher.publishPolicy() };
}
