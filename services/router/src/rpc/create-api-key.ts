import type { router } from '@keel/contracts';
import { InvalidArgumentError, NotFoundError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { actingTenant } from '../domain/access';
import { validateIdempotencyKey } from '../domain/requests';
import { validateScopes } from '../domain/scopes';
import { createApiKey } from '../operations/create-api-key';

export async function createApiKeyRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.CreateApiKeyRequest,
): Promise<router.CreateApiKeyResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  if (request.scopes.length === 0) {
    throw new InvalidArgumentError('scopes', 'at least one scope is required');
  }
  const scopes = validateScopes(request.scopes, 'scopes');
  const idempotencyKey = validateIdempotencyKey(request.idempotencyKey);
  if (!(await deps.store.tenants.get(tenantId))) {
    throw new NotFoundError(`tenant '${tenantId}' does not exist`);
  }

  const created = await createApiKey(deps, {
    tenantId,
    scopes,
    // Only an operator mints operator keys, and only for its own tenant.
    operator: principal.operator && tenantId === principal.tenantId,
    idempotency: idempotencyKey
      ? { scope: `create_api_key:${tenantId}`, key: idempotencyKey }
      : null,
  });
  return { apiKey: created.apiKey, apiKeySecret: created.token };
}
