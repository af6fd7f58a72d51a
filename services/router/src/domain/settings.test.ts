import { router } from '@keel/contracts';
import { validateCachePolicy, validateRateLimit, validateTenantSettings } from './settings';

describe('validateCachePolicy', () => {
  const ttl = (seconds: bigint, nanos = 0) => ({ ttl: { seconds, nanos } });

  it('accepts 1 s to 1 day, bounds included', () => {
    for (const policy of [ttl(1n), ttl(3_600n, 500), ttl(86_400n)]) {
      expect(validateCachePolicy(policy, 'cache')).toEqual(policy);
    }
    expect(validateCachePolicy(undefined, 'cache')).toBeUndefined();
  });

  it('refuses a ttl outside the bounds or missing, naming cache.ttl', () => {
    for (const policy of [ttl(0n, 999_999_999), ttl(86_400n, 1), ttl(-5n), { ttl: undefined }]) {
      expect(() => validateCachePolicy(policy, 'cache')).toThrow(
        expect.objectContaining({ field: 'cache.ttl' }),
      );
    }
  });
});

describe('validateRateLimit', () => {
  it('keeps zero (no limit of that kind) and refuses negatives', () => {
    const none = { requestsPerMinute: 0n, tokensPerMinute: 0n };
    expect(validateRateLimit(none, 'rate_limit')).toEqual(none);
    expect(() =>
      validateRateLimit({ requestsPerMinute: 1n, tokensPerMinute: -1n }, 'rate_limit'),
    ).toThrow(expect.objectContaining({ field: 'rate_limit.tokens_per_minute' }));
  });
});

describe('validateTenantSettings', () => {
  it('refuses a request without settings and keeps empty settings empty', () => {
    expect(() => validateTenantSettings(undefined)).toThrow(
      expect.objectContaining({ field: 'settings' }),
    );
    expect(validateTenantSettings(router.TenantSettings.create())).toEqual({
      guardrails: undefined,
      rateLimit: undefined,
    });
  });
});
