import { router } from '@keel/contracts';
import { PermissionDeniedError } from '@keel/errors';
import type { Principal } from './key-ring';
import { actingTenant, requireOperator } from './access';

const { API_KEY_SCOPE_ADMIN: ADMIN, API_KEY_SCOPE_INFERENCE: INFERENCE } = router.ApiKeyScope;
const tenantAdmin: Principal = { tenantId: 'acme', keyId: 'k1', scopes: [ADMIN], operator: false };
const operator: Principal = { tenantId: 'ops', keyId: 'k2', scopes: [ADMIN], operator: true };
// A key of the operator's tenant without the admin scope.
const operatorInference: Principal = {
  tenantId: 'ops',
  keyId: 'k3',
  scopes: [INFERENCE],
  operator: true,
};

describe('actingTenant', () => {
  it("reads '' as the caller's own tenant", () => {
    expect(actingTenant(tenantAdmin, '')).toBe('acme');
    expect(actingTenant(operator, '')).toBe('ops');
  });

  it('lets only an operator act on another tenant', () => {
    expect(actingTenant(tenantAdmin, 'acme')).toBe('acme');
    expect(() => actingTenant(tenantAdmin, 'globex')).toThrow(PermissionDeniedError);
    expect(actingTenant(operator, 'globex')).toBe('globex');
  });

  it("keeps an operator-tenant key without the admin scope to the operator's tenant", () => {
    expect(actingTenant(operatorInference, '')).toBe('ops');
    expect(() => actingTenant(operatorInference, 'globex')).toThrow(PermissionDeniedError);
  });
});

describe('requireOperator', () => {
  it('refuses a tenant key', () => {
    expect(() => requireOperator(tenantAdmin, 'create tenants')).toThrow(
      'only an operator key with the admin scope may create tenants',
    );
    expect(() => requireOperator(operatorInference, 'create tenants')).toThrow(
      PermissionDeniedError,
    );
    expect(() => requireOperator(operator, 'create tenants')).not.toThrow();
  });
});
