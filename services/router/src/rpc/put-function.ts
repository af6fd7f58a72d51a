import { actingTenant } from '@keel/kit';
import type { router } from '@keel/contracts';
import { NotFoundError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { requireServedModels, validateFunction } from '../domain/function';
import { functionDoc } from '../store/functions';

/** Creates or replaces a function and publishes the policy that holds it. */
export async function putFunctionRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.PutFunctionRequest,
): Promise<router.PutFunctionResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const catalog = await deps.catalogs.current();
  const definition = validateFunction(request, catalog);
  requireServedModels(definition, catalog, await deps.store.providers.names());
  if (!(await deps.store.tenants.get(tenantId))) {
    throw new NotFoundError(`tenant '${tenantId}' does not exist`);
  }

  const fn: router.KeelFunction = { tenantId, ...definition, updatedAt: new Date() };
  await deps.store.functions.put(functionDoc(fn));
  if (request.makeDefault) {
    await deps.store.tenants.setDefaultFunction(tenantId, fn.functionName);
  }
  return { function: fn, policyVersion: await deps.publisher.publishPolicy() };
}
