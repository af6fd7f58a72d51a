import { validateIdempotencyKey, validateKeyExpiry, validateTenantName } from './requests';

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

describe('validateKeyExpiry', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('keeps no expiry as none and a future one as given', () => {
    expect(validateKeyExpiry(undefined, now)).toBeUndefined();
    const later = new Date(now.getTime() + 1);
    expect(validateKeyExpiry(later, now)).toBe(later);
  });

  it('refuses an expiry now or in the past, naming expires_at', () => {
    for (const at of [now, new Date(now.getTime() - 60_000)]) {
      expect(() => validateKeyExpiry(at, now)).toThrow(
        expect.objectContaining({ field: 'expires_at', kind: 'INVALID_ARGUMENT' }),
      );
    }
  });
});
