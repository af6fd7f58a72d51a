// Tenants are walls: a key acts on its own tenant; only an operator admin key reaches the others.
import { router } from '@keel/contracts';
import type { Principal } from './key-ring';
import { PermissionDeniedError } from '@keel/errors';

/**
 * Operator power goes with the admin scope only: any other key of the operator's tenant is an
 * ordinary key of that tenant.
 */
export function hasOperatorPower(principal: Principal): boolean {
  return principal.operator && principal.scopes.includes(router.ApiKeyScope.API_KEY_SCOPE_ADMIN);
}

/** The tenant a request acts on: '' means the caller's own; another one needs operator power. */
export function actingTenant(principal: Principal, requestedTenantId: string): string {
  if (requestedTenantId === '' || requestedTenantId === principal.tenantId) {
    return principal.tenantId;
  }
  if (!hasOperatorPower(principal)) {
    throw new PermissionDeniedError(
      `tenant '${requestedTenantId}' is not this API key's tenant; only an operator key with the admin scope may act on another tenant`,
    );
  }
  return requestedTenantId;
}

/** Refuses a caller without operator power, naming what it tried to do. */
export function requireOperator(principal: Principal, action: string): void {
  if (!hasOperatorPower(principal)) {
    throw new PermissionDeniedError(`only an operator key with the admin scope may ${action}`);
  }
}
