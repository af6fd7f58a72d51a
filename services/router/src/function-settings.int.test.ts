import { status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { SnapshotReader, codeOf, startTestRouter, type TestRouter } from './router.fixture';

const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;
const { SAFETY_ACTION_BLOCK, SAFETY_ACTION_FLAG } = router.SafetyAction;
const { PII_TYPE_EMAIL_ADDRESS, PII_TYPE_US_SSN } = router.PiiType;
const { SAFETY_CATEGORY_HATE } = router.SafetyCategory;

const guardrails: router.Guardrails = {
  // Above 2^32, so an int64 that lost precision on its way through the store would show.
  limits: { maxInputTokens: 5_000_000_000n, maxMessages: 20, maxOutputTokens: 0 },
  pii: { types: [PII_TYPE_EMAIL_ADDRESS, PII_TYPE_US_SSN], redactUpstream: true },
  contentSafety: {
    inputAction: SAFETY_ACTION_BLOCK,
    outputAction: SAFETY_ACTION_FLAG,
    categories: [SAFETY_CATEGORY_HATE],
  },
  fallback: { text: 'Sorry, I cannot help with that — ask a person at support@example.com.' },
};
const rateLimit: router.RateLimit = { requestsPerMinute: 600n, tokensPerMinute: 0n };
const cache: router.CachePolicy = { ttl: { seconds: 300n, nanos: 0 } };

describe('function guardrails, rate limits and cache, and tenant settings', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let tenantId: string;
  let admin: string;
  let otherTenantId: string;
  let otherAdmin: string;

  beforeAll(async () => {
    r = await startTestRouter();
    reader = await SnapshotReader.open(r.prefix);
    const scopes = { keyScopes: [API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE] };
    const acme = await r.client.createTenant(r.operatorToken, { name: 'Acme', ...scopes });
    tenantId = acme.tenant!.tenantId;
    admin = acme.apiKeySecret;
    const globex = await r.client.createTenant(r.operatorToken, { name: 'Globex', ...scopes });
    otherTenantId = globex.tenant!.tenantId;
    otherAdmin = globex.apiKeySecret;
  });

  afterAll(async () => {
    await reader.close();
    await r.stop();
  });

  const base: Partial<router.PutFunctionRequest> = {
    functionName: 'support.answer',
    variants: [{ variantName: 'v', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
  };

  async function publishedTenant(id: string): Promise<router.TenantPolicy | undefined> {
    return (await reader.policy()).snapshot.tenants.find((t) => t.tenantId === id);
  }

  it('stores guardrails, rate limit and cache and publishes them with the function', async () => {
    const put = await r.client.putFunction(admin, { ...base, guardrails, rateLimit, cache });
    expect(put.function).toMatchObject({ guardrails, rateLimit, cache });

    const published = (await publishedTenant(tenantId))?.functions.find(
      (f) => f.functionName === 'support.answer',
    );
    expect(published?.guardrails).toEqual(guardrails);
    expect(published?.rateLimit).toEqual(rateLimit);
    expect(published?.cache).toEqual(cache);
  });

  it('leaves unset parts unset rather than zero', async () => {
    await r.client.putFunction(admin, {
      ...base,
      functionName: 'only.limits',
      guardrails: router.Guardrails.fromPartial({ limits: { maxMessages: 3 } }),
    });
    const published = (await publishedTenant(tenantId))?.functions.find(
      (f) => f.functionName === 'only.limits',
    );
    expect(published?.guardrails).toEqual({
      limits: { maxInputTokens: 0n, maxMessages: 3, maxOutputTokens: 0 },
      pii: undefined,
      contentSafety: undefined,
      fallback: undefined,
    });
    expect(published?.rateLimit).toBeUndefined();
    expect(published?.cache).toBeUndefined();
  });

  it('refuses each invalid value, naming the field', async () => {
    const cases: Array<[Partial<router.PutFunctionRequest>, RegExp]> = [
      [
        { guardrails: router.Guardrails.fromPartial({ limits: { maxInputTokens: -1n } }) },
        /guardrails\.limits\.max_input_tokens: -1 is negative/,
      ],
      [
        { guardrails: router.Guardrails.fromPartial({ limits: { maxMessages: -2 } }) },
        /guardrails\.limits\.max_messages: /,
      ],
      [
        { guardrails: router.Guardrails.fromPartial({ limits: { maxOutputTokens: -3 } }) },
        /guardrails\.limits\.max_output_tokens: /,
      ],
      [
        {
          guardrails: router.Guardrails.fromPartial({
            pii: { types: [PII_TYPE_EMAIL_ADDRESS, 0] },
          }),
        },
        /guardrails\.pii\.types\[1\]: PII_TYPE_UNSPECIFIED \(0\) is not allowed/,
      ],
      [
        { guardrails: router.Guardrails.fromPartial({ pii: { types: [99 as router.PiiType] } }) },
        /guardrails\.pii\.types\[0\]: 99 /,
      ],
      [
        { guardrails: router.Guardrails.fromPartial({ contentSafety: { categories: [0] } }) },
        /guardrails\.content_safety\.categories\[0\]: SAFETY_CATEGORY_UNSPECIFIED/,
      ],
      [
        {
          guardrails: router.Guardrails.fromPartial({
            contentSafety: { inputAction: 7 as router.SafetyAction },
          }),
        },
        /guardrails\.content_safety\.input_action: 7 is not a safety action/,
      ],
      [
        {
          guardrails: router.Guardrails.fromPartial({
            contentSafety: { outputAction: -4 as router.SafetyAction },
          }),
        },
        /guardrails\.content_safety\.output_action: /,
      ],
      [
        { guardrails: router.Guardrails.fromPartial({ fallback: { text: 'x'.repeat(4_001) } }) },
        /guardrails\.fallback\.text: 4001 characters; at most 4000/,
      ],
      [
        { guardrails: router.Guardrails.fromPartial({ fallback: { text: '  ' } }) },
        /guardrails\.fallback\.text: /,
      ],
      [
        { guardrails: router.Guardrails.fromPartial({ fallback: { text: 'a\0b' } }) },
        /guardrails\.fallback\.text: .*NUL/,
      ],
      [
        { rateLimit: { requestsPerMinute: -1n, tokensPerMinute: 0n } },
        /rate_limit\.requests_per_minute: /,
      ],
      [
        { rateLimit: { requestsPerMinute: 0n, tokensPerMinute: -10n } },
        /rate_limit\.tokens_per_minute: /,
      ],
      [{ cache: { ttl: undefined } }, /cache\.ttl: a ttl is required/],
      [{ cache: { ttl: { seconds: 0n, nanos: 500_000_000 } } }, /cache\.ttl: .* out of range/],
      [{ cache: { ttl: { seconds: 86_400n, nanos: 1 } } }, /cache\.ttl: .* out of range/],
      [{ cache: { ttl: { seconds: 86_401n, nanos: 0 } } }, /cache\.ttl: .* out of range/],
    ];
    for (const [change, message] of cases) {
      const call = r.client.putFunction(admin, { ...base, functionName: 'refused', ...change });
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
    const tenant = await publishedTenant(tenantId);
    expect(tenant?.functions.map((f) => f.functionName)).not.toContain('refused');
  });

  it('accepts the bounds: a 4000-character fallback, 1 s and 1 day ttls, zero limits', async () => {
    for (const seconds of [1n, 86_400n]) {
      const put = await r.client.putFunction(admin, {
        ...base,
        functionName: 'bounds',
        guardrails: g4000(),
        rateLimit: { requestsPerMinute: 0n, tokensPerMinute: 0n },
        cache: { ttl: { seconds, nanos: 0 } },
      });
      expect(put.function?.cache?.ttl?.seconds).toBe(seconds);
    }
  });

  it("publishes a tenant's settings in its policy, and only to its own tenant", async () => {
    const settings: router.TenantSettings = {
      guardrails: router.Guardrails.fromPartial({ pii: { types: [], redactUpstream: false } }),
      rateLimit: { requestsPerMinute: 100n, tokensPerMinute: 50_000n },
    };
    const put = await r.client.putTenantSettings(admin, { settings });
    expect(put.settings).toEqual(settings);
    const published = await reader.policy();
    expect(published.version).toBeGreaterThanOrEqual(put.policyVersion);
    expect((await publishedTenant(tenantId))?.settings).toEqual(settings);
    expect((await publishedTenant(otherTenantId))?.settings).toBeUndefined();
  });

  it("refuses a tenant admin setting another tenant's settings; the operator may", async () => {
    const settings = router.TenantSettings.fromPartial({
      rateLimit: { requestsPerMinute: 7n },
    });
    const refused = r.client.putTenantSettings(admin, { tenantId: otherTenantId, settings });
    await expect(refused).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    expect((await publishedTenant(otherTenantId))?.settings).toBeUndefined();

    const byOperator = await r.client.putTenantSettings(r.operatorToken, {
      tenantId: otherTenantId,
      settings,
    });
    expect(byOperator.settings?.rateLimit?.requestsPerMinute).toBe(7n);
    expect((await publishedTenant(otherTenantId))?.settings?.rateLimit).toEqual({
      requestsPerMinute: 7n,
      tokensPerMinute: 0n,
    });
    // The other tenant's own admin replaces them.
    await r.client.putTenantSettings(otherAdmin, { settings: router.TenantSettings.create() });
    expect((await publishedTenant(otherTenantId))?.settings).toEqual({
      guardrails: undefined,
      rateLimit: undefined,
    });
  });

  it('refuses invalid or missing settings, naming the field, and unknown tenants', async () => {
    const cases: Array<[Partial<router.PutTenantSettingsRequest>, RegExp]> = [
      [{ settings: undefined }, /settings: settings are required/],
      [
        { settings: router.TenantSettings.fromPartial({ rateLimit: { tokensPerMinute: -1n } }) },
        /settings\.rate_limit\.tokens_per_minute: /,
      ],
      [
        {
          settings: router.TenantSettings.fromPartial({
            guardrails: { contentSafety: { categories: [42 as router.SafetyCategory] } },
          }),
        },
        /settings\.guardrails\.content_safety\.categories\[0\]: /,
      ],
    ];
    for (const [request, message] of cases) {
      const call = r.client.putTenantSettings(admin, request);
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
    expect(
      await codeOf(
        r.client.putTenantSettings(r.operatorToken, {
          tenantId: 'no-such',
          settings: router.TenantSettings.create(),
        }),
      ),
    ).toBe(status.NOT_FOUND);
  });
});

function g4000(): router.Guardrails {
  return router.Guardrails.fromPartial({ fallback: { text: 'é'.repeat(4_000) } });
}
