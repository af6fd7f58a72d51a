import { actingTenant } from '@keel/kit';
import type { router } from '@keel/contracts';
import { NotFoundError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { validateTenantSettings } from '../domain/settings';
import { tenantSettingsDoc } from '../store/tenant-settings';

/** Replaces a tenant's settings and publishes the policy that carries them to inference. */
export async function putTenantSettingsRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.PutTenantSettingsRequest,
): Promise<router.PutTenantSettingsResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const settings = validateTenantSettings(request.settings);
  if (!(await deps.store.tenants.get(tenantId))) {
    throw new NotFoundError(`tenant '${tenantId}' does not exist`);
  }
  await deps.store.tenantSettings.put(tenantSettingsDoc(tenantId, settings, new Date()));
  return { settings, policyVersion: await deps.publisher.publishPolicy() };
}
