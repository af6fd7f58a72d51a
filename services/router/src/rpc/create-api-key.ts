import { actingTenant, hasOperatorPower } from '@keel/kit';
import type { router } from '@keel/contracts';
import { InvalidArgumentError, NotFoundError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { validateIdempotencyKey, validateKeyExpiry } from '../domain/requests';
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
  const expiresAt = validateKeyExpiry(request.expiresAt, new Date());
  if (!(await deps.store.tenants.get(tenantId))) {
    throw new NotFoundError(`tenant '${tenantId}' does not exist`);
  }

  const created = await createApiKey(deps, {
    tenantId,
    scopes,
    // Only an operator mints operator keys, and only for its own tenant.
    operator: hasOperatorPower(principal) && tenantId === principal.tenantId,
    expiresAt,
    idempotency: idempotencyKey
      ? { scope: `create_api_key:${tenantId}`, key: idempotencyKey }
      : null,
  });
  return { apiKey: created.apiKey, apiKeySecret: created.token };
}
