// Checks of request fields shared by several RPCs.
import { InvalidArgumentError } from '@keel/errors';

const MAX_TENANT_NAME = 100;
const MAX_IDEMPOTENCY_KEY = 200;

/** A tenant's name, trimmed: 1 to 100 characters. */
export function validateTenantName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new InvalidArgumentError('name', 'a tenant name is required');
  if (trimmed.length > MAX_TENANT_NAME) {
    throw new InvalidArgumentError('name', `at most ${MAX_TENANT_NAME} characters`);
  }
  return trimmed;
}

/** An idempotency key, or null when the request has none (''). */
export function validateIdempotencyKey(key: string): string | null {
  if (key === '') return null;
  if (key.length > MAX_IDEMPOTENCY_KEY) {
    throw new InvalidArgumentError('idempotency_key', `at most ${MAX_IDEMPOTENCY_KEY} characters`);
  }
  return key;
}

/** A new key's expiry: unset (never), or a time after `now`. */
export function validateKeyExpiry(expiresAt: Date | undefined, now: Date): Date | undefined {
  if (expiresAt === undefined) return undefined;
  if (expiresAt.getTime() <= now.getTime()) {
    throw new InvalidArgumentError(
      'expires_at',
      `${expiresAt.toISOString()} is not in the future (now ${now.toISOString()})`,
    );
  }
  return expiresAt;
}
