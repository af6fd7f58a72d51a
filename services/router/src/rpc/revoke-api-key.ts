import { actingTenant, hasOperatorPower } from '@keel/kit';
import type { router } from '@keel/contracts';
import { InvalidArgumentError, NotFoundError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';

/** Revokes a key (again, harmlessly, if it already is) and publishes the keys without it. */
export async function revokeApiKeyRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.RevokeApiKeyRequest,
): Promise<router.RevokeApiKeyResponse> {
  if (request.keyId === '') throw new InvalidArgumentError('key_id', 'a key id is required');
  const found = await deps.store.apiKeys.get(request.keyId);
  // Another tenant's key is "not found" to a non-operator, so key ids cannot be probed.
  const visible =
    found && (hasOperatorPower(principal) || found.record.tenantId === principal.tenantId);
  if (!visible) throw new NotFoundError(`API key '${request.keyId}' does not exist`);
  const tenantId = actingTenant(principal, found.record.tenantId);

  await deps.store.apiKeys.revoke(tenantId, request.keyId, new Date());
  return { keysVersion: await deps.publisher.publishKeys() };
}
