// Tenants are walls: a key acts on its own tenant; only an operator key reaches the others.
import type { Principal } from '@keel/kit';
import { PermissionDeniedError } from '@keel/errors';

/** The tenant a request acts on: '' means the caller's own; another one needs an operator key. */
export function actingTenant(principal: Principal, requestedTenantId: string): string {
  if (requestedTenantId === '' || requestedTenantId === principal.tenantId) {
    return principal.tenantId;
  }
  if (!principal.operator) {
    throw new PermissionDeniedError(
      `tenant '${requestedTenantId}' is not this API key's tenant; only an operator key may act on another tenant`,
    );
  }
  return requestedTenantId;
}

/** Refuses a non-operator key, naming what it tried to do. */
export function requireOperator(principal: Principal, action: string): void {
  if (!principal.operator) throw new PermissionDeniedError(`only an operator key may ${action}`);
}
