// Checks the rate limits and cache policy of a function, and a tenant's settings. An unset
// part stays unset: inference reads "not configured", never a zero it did not ask for.
import type { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { nonNegative, validateGuardrails } from './guardrails';

export const MIN_CACHE_TTL_SECONDS = 1n;
export const MAX_CACHE_TTL_SECONDS = 86_400n;

export function validateRateLimit(
  limit: router.RateLimit | undefined,
  field: string,
): router.RateLimit | undefined {
  if (!limit) return undefined;
  nonNegative(limit.requestsPerMinute, `${field}.requests_per_minute`);
  nonNegative(limit.tokensPerMinute, `${field}.tokens_per_minute`);
  return { requestsPerMinute: limit.requestsPerMinute, tokensPerMinute: limit.tokensPerMinute };
}

/** A cache policy needs a ttl from 1 s to 1 day. */
export function validateCachePolicy(
  cache: router.CachePolicy | undefined,
  field: string,
): router.CachePolicy | undefined {
  if (!cache) return undefined;
  const ttlField = `${field}.ttl`;
  const ttl = cache.ttl;
  if (!ttl) throw new InvalidArgumentError(ttlField, 'a ttl is required (1 s to 1 day)');
  if (ttl.nanos < 0 || ttl.nanos > 999_999_999) {
    throw new InvalidArgumentError(`${ttlField}.nanos`, 'must be from 0 to 999999999');
  }
  const tooShort = ttl.seconds < MIN_CACHE_TTL_SECONDS;
  const tooLong =
    ttl.seconds > MAX_CACHE_TTL_SECONDS || (ttl.seconds === MAX_CACHE_TTL_SECONDS && ttl.nanos > 0);
  if (tooShort || tooLong) {
    throw new InvalidArgumentError(
      ttlField,
      `${ttl.seconds}s${ttl.nanos ? ` ${ttl.nanos}ns` : ''} is out of range; ` +
        `must be from ${MIN_CACHE_TTL_SECONDS}s to ${MAX_CACHE_TTL_SECONDS}s (1 day)`,
    );
  }
  return { ttl: { seconds: ttl.seconds, nanos: ttl.nanos } };
}

/** The settings to store; a request without settings is refused rather than clearing them. */
export function validateTenantSettings(
  settings: router.TenantSettings | undefined,
): router.TenantSettings {
  if (!settings) {
    throw new InvalidArgumentError(
      'settings',
      'settings are required (send empty settings to clear them)',
    );
  }
  return {
    guardrails: validateGuardrails(settings.guardrails, 'settings.guardrails'),
    rateLimit: validateRateLimit(settings.rateLimit, 'settings.rate_limit'),
  };
}
