import { validateIdempotencyKey, validateTenantName } from './requests';

describe('validateTenantName', () => {
  it('trims the name', () => {
    expect(validateTenantName('  Acme  ')).toBe('Acme');
  });

  it('refuses an empty or blank name and one over 100 characters, naming the field', () => {
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      expect(() => validateTenantName(name)).toThrow(expect.objectContaining({ field: 'name' }));
    }
    expect(validateTenantName('x'.repeat(100))).toHaveLength(100);
  });
});

describe('validateIdempotencyKey', () => {
  it('reads an empty key as none', () => {
    expect(validateIdempotencyKey('')).toBeNull();
    expect(validateIdempotencyKey('retry-1')).toBe('retry-1');
  });

  it('refuses an overlong key', () => {
    expect(() => validateIdempotencyKey('k'.repeat(201))).toThrow(
      expect.objectContaining({ field: 'idempotency_key' }),
    );
  });
});
