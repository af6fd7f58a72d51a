import type { router } from '@keel/contracts';
import { actingTenant, type Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';

/** A tenant's budgets, by name. */
export async function listBudgetsRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.ListBudgetsRequest,
): Promise<router.ListBudgetsResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  return { budgets: await deps.store.budgets.ofTenant(tenantId) };
}
