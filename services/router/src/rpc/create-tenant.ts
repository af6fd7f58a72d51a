import { requireOperator } from '@keel/kit';
import type { router } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { validateIdempotencyKey, validateTenantName } from '../domain/requests';
import { DEFAULT_KEY_SCOPES, validateScopes } from '../domain/scopes';
import { createTenant } from '../operations/create-tenant';

export async function createTenantRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.CreateTenantRequest,
): Promise<router.CreateTenantResponse> {
  requireOperator(principal, 'create tenants');
  const name = validateTenantName(request.name);
  const idempotencyKey = validateIdempotencyKey(request.idempotencyKey);
  const scopes =
    request.keyScopes.length === 0
      ? [...DEFAULT_KEY_SCOPES]
      : validateScopes(request.keyScopes, 'key_scopes');

  const created = await createTenant(deps, {
    name,
    scopes,
    operator: false,
    idempotency: idempotencyKey ? { scope: 'create_tenant', key: idempotencyKey } : null,
  });
  return { tenant: created.tenant, apiKey: created.apiKey, apiKeySecret: created.token };
}
