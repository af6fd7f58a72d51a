import { PermissionDeniedError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import { actingTenant, requireOperator } from './access';

const tenantAdmin: Principal = { tenantId: 'acme', keyId: 'k1', scopes: [], operator: false };
const operator: Principal = { tenantId: 'ops', keyId: 'k2', scopes: [], operator: true };

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
});

describe('requireOperator', () => {
  it('refuses a tenant key', () => {
    expect(() => requireOperator(tenantAdmin, 'create tenants')).toThrow(
      'only an operator key may create tenants',
    );
    expect(() => requireOperator(operator, 'create tenants')).not.toThrow();
  });
});
