import { createHash } from 'node:crypto';
import { newApiKey, parseApiKey, verifySecret } from './api-key';

describe('newApiKey', () => {
  it('makes a token keel_<16 hex>_<64 hex> with the SHA-256 of its secret', () => {
    const key = newApiKey();
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(key.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(key.token).toBe(`keel_${key.keyId}_${key.secret}`);
    expect(key.secretSha256).toEqual(createHash('sha256').update(key.secret).digest());
  });

  it('never makes the same key twice', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => newApiKey().token));
    expect(tokens.size).toBe(100);
  });
});

describe('parseApiKey', () => {
  const keyId = '0123456789abcdef';
  const secret = 'ab'.repeat(32);

  it('splits a new key back into its id and secret', () => {
    const key = newApiKey();
    expect(parseApiKey(key.token)).toEqual({ keyId: key.keyId, secret: key.secret });
  });

  it.each([
    ['an empty string', ''],
    ['another prefix', `sk_${keyId}_${secret}`],
    ['an upper-case key id', `keel_${keyId.toUpperCase()}_${secret}`],
    ['a short key id', `keel_${keyId.slice(1)}_${secret}`],
    ['a short secret', `keel_${keyId}_${secret.slice(1)}`],
    ['a long secret', `keel_${keyId}_${secret}0`],
    ['a non-hex secret', `keel_${keyId}_${'z'.repeat(64)}`],
    ['a missing separator', `keel_${keyId}${secret}`],
    ['surrounding text', ` keel_${keyId}_${secret}`],
  ])('refuses %s', (_label, token) => {
    expect(parseApiKey(token)).toBeNull();
  });
});

describe('verifySecret', () => {
  it('accepts the secret a digest was stored for', () => {
    const key = newApiKey();
    expect(verifySecret(key.secret, key.secretSha256)).toBe(true);
    expect(verifySecret(key.secret, new Uint8Array(key.secretSha256))).toBe(true);
  });

  it('refuses another secret', () => {
    const key = newApiKey();
    expect(verifySecret(newApiKey().secret, key.secretSha256)).toBe(false);
  });

  it('refuses a digest of another length instead of throwing', () => {
    const key = newApiKey();
    expect(verifySecret(key.secret, new Uint8Array())).toBe(false);
    expect(verifySecret(key.secret, key.secretSha256.subarray(0, 16))).toBe(false);
  });
});
