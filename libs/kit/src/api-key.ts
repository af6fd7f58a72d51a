import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { router } from '@keel/contracts';

// keel_<key id: 16 hex>_<secret: 64 hex>; hex never contains '_', so the token splits cleanly.
const API_KEY = /^keel_([0-9a-f]{16})_([0-9a-f]{64})$/;

/** A new API key. Only `secretSha256` is stored; `token` is shown to its owner once. */
export function newApiKey(): {
  keyId: string;
  secret: string;
  token: string;
  secretSha256: Buffer;
} {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('hex');
  return { keyId, secret, token: `keel_${keyId}_${secret}`, secretSha256: sha256(secret) };
}

/** A key with the token its holder sends: what keys snapshots publish, for tests and tools. */
export interface IssuedKey {
  token: string;
  record: router.ApiKeyRecord;
}

/** A new key of `tenantId` with `scopes`, as the keys snapshot carries it. */
export function issueKey(
  tenantId: string,
  scopes: router.ApiKeyScope[],
  operator = false,
): IssuedKey {
  const key = newApiKey();
  return {
    token: key.token,
    record: router.ApiKeyRecord.fromPartial({
      keyId: key.keyId,
      tenantId,
      secretSha256: key.secretSha256,
      scopes,
      operator,
    }),
  };
}

/** The key id and secret of a token, or null when it is not shaped like a Keel API key. */
export function parseApiKey(token: string): { keyId: string; secret: string } | null {
  const match = API_KEY.exec(token);
  return match ? { keyId: match[1], secret: match[2] } : null;
}

/** The digest stored for a secret: SHA-256 of its text. */
export function sha256(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Whether `secret` is the one `digest` was stored for, compared in constant time. */
export function verifySecret(secret: string, digest: Uint8Array): boolean {
  const actual = sha256(secret);
  return actual.length === digest.length && timingSafeEqual(actual, digest);
}
