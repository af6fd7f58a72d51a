import { actingTenant } from '@keel/kit';
import type { router } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';

/** The decision inference would make for this request, from the same snapshot and code. */
export async function routeRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.RouteRequest,
): Promise<router.RouteResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const policy = deps.follower.policy;
  if (!policy) throw new UnavailableError('no policy snapshot has arrived yet; retry shortly');
  return {
    decision: policy.decide({
      tenantId,
      functionName: request.functionName,
      model: request.model,
    }),
  };
}
