import { status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { connectStore, type Store } from '@keel/store';
import { eventually, testServers } from '@keel/testing';
import { SnapshotReader, codeOf, startTestRouter, type TestRouter } from './router.fixture';

const { API_KEY_SCOPE_UNSPECIFIED, API_KEY_SCOPE_INFERENCE, API_KEY_SCOPE_ADMIN } =
  router.ApiKeyScope;
const { API_KEY_SCOPE_FEEDBACK, API_KEY_SCOPE_ANALYTICS } = router.ApiKeyScope;

describe('tenants and API keys', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let operator: string;
  let store: Store;

  beforeAll(async () => {
    r = await startTestRouter();
    operator = r.operatorToken;
    reader = await SnapshotReader.open(r.prefix);
    store = await connectStore({
      url: testServers().mongoUrl,
      dbPrefix: r.prefix,
      service: 'router',
    });
  });

  afterAll(async () => {
    await store.close();
    await reader.close();
    await r.stop();
  });

  /** A new tenant with a first key of `scopes`; returns its id and key token. */
  async function tenantWith(scopes: router.ApiKeyScope[]): Promise<{ id: string; token: string }> {
    const created = await r.client.createTenant(operator, { name: 'Tenant', keyScopes: scopes });
    return { id: created.tenant!.tenantId, token: created.apiKeySecret };
  }

  it('creates a tenant whose key and default function are in the snapshots', async () => {
    const created = await r.client.createTenant(operator, { name: '  Acme  ' });
    const { tenant, apiKey, apiKeySecret } = created;
    expect(tenant).toMatchObject({ name: 'Acme', defaultFunctionName: 'default' });
    expect(apiKey).toMatchObject({
      tenantId: tenant!.tenantId,
      scopes: [API_KEY_SCOPE_INFERENCE, API_KEY_SCOPE_FEEDBACK, API_KEY_SCOPE_ANALYTICS],
      operator: false,
    });
    expect(apiKeySecret).toMatch(new RegExp(`^keel_${apiKey!.keyId}_[0-9a-f]{64}$`));

    const keys = await reader.keys();
    expect(keys.snapshot.keys.find((key) => key.keyId === apiKey!.keyId)).toEqual(apiKey);
    const policy = await reader.policy();
    expect(policy.snapshot.catalog?.defaultModel).toBe('sim-small');
    expect(policy.snapshot.tenants.find((t) => t.tenantId === tenant!.tenantId)).toMatchObject({
      defaultFunctionName: 'default',
      functions: [
        {
          functionName: 'default',
          variants: [{ variantName: 'default', modelChain: ['sim-small'], defaultMaxTokens: 512 }],
          policy: { fixed: { variantName: 'default' } },
        },
      ],
    });

    // The write waited for the snapshot: the new key works on the very next call.
    const route = await r.client.route(apiKeySecret, {});
    expect(route.decision).toMatchObject({
      functionName: 'default',
      variantName: 'default',
      modelChain: ['sim-small'],
    });
  });

  it('returns the same tenant without a secret on a retry with the same idempotency key', async () => {
    const first = await r.client.createTenant(operator, { name: 'Globex', idempotencyKey: 'g-1' });
    const tenantsBefore = (await reader.policy()).snapshot.tenants.length;
    const retry = await r.client.createTenant(operator, { name: 'Other', idempotencyKey: 'g-1' });
    expect(retry.tenant).toEqual(first.tenant);
    expect(retry.apiKey).toEqual(first.apiKey);
    expect(retry.apiKeySecret).toBe('');
    expect((await reader.policy()).snapshot.tenants).toHaveLength(tenantsBefore);
    // The tenant and its first key both record the request that created them.
    const tenantId = first.tenant!.tenantId;
    const keyId = first.apiKey!.keyId;
    expect(await store.collection('tenants').findOne({ tenant_id: tenantId })).toMatchObject({
      idempotency_key: 'g-1',
    });
    expect(await store.collection('api_keys').findOne({ key_id: keyId })).toMatchObject({
      idempotency_key: 'g-1',
    });

    const another = await r.client.createTenant(operator, {
      name: 'Globex',
      idempotencyKey: 'g-2',
    });
    expect(another.tenant?.tenantId).not.toBe(first.tenant?.tenantId);
  });

  it('refuses bad names and scopes, naming the field', async () => {
    const blank = r.client.createTenant(operator, { name: '  ' });
    await expect(blank).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(blank).rejects.toThrow(/name/);

    const unspecified = r.client.createTenant(operator, {
      name: 'x',
      keyScopes: [API_KEY_SCOPE_INFERENCE, API_KEY_SCOPE_UNSPECIFIED],
    });
    await expect(unspecified).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(unspecified).rejects.toThrow(/key_scopes\[1\]/);

    const noScopes = r.client.createApiKey(operator, { scopes: [] });
    await expect(noScopes).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(noScopes).rejects.toThrow(/scopes/);
  });

  it('refuses callers without a key, and keys without the admin scope', async () => {
    expect(await codeOf(r.client.createTenant(null, { name: 'x' }))).toBe(status.UNAUTHENTICATED);
    expect(await codeOf(r.client.route(null, {}))).toBe(status.UNAUTHENTICATED);
    expect(await codeOf(r.client.getCatalog('keel_not_a_key'))).toBe(status.UNAUTHENTICATED);

    const { id, token } = await tenantWith([API_KEY_SCOPE_INFERENCE]);
    const denied = status.PERMISSION_DENIED;
    expect(await codeOf(r.client.createTenant(token, { name: 'x' }))).toBe(denied);
    expect(
      await codeOf(
        r.client.putFunction(token, {
          tenantId: id,
          functionName: 'f',
          variants: [{ variantName: 'v', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
        }),
      ),
    ).toBe(denied);
    expect(
      await codeOf(r.client.createApiKey(token, { tenantId: id, scopes: [API_KEY_SCOPE_ADMIN] })),
    ).toBe(denied);
    // Reading is open to any valid key.
    expect((await r.client.getCatalog(token)).catalog?.version).toBe(1n);
  });

  it('keeps a tenant admin within its own tenant', async () => {
    const own = await tenantWith([API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE]);
    const other = await tenantWith([API_KEY_SCOPE_INFERENCE]);
    const denied = status.PERMISSION_DENIED;

    expect(await codeOf(r.client.createTenant(own.token, { name: 'x' }))).toBe(denied);
    const fn = {
      functionName: 'f',
      variants: [{ variantName: 'v', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
    };
    expect(await codeOf(r.client.putFunction(own.token, { ...fn, tenantId: other.id }))).toBe(
      denied,
    );
    expect(
      await codeOf(
        r.client.createApiKey(own.token, { tenantId: other.id, scopes: [API_KEY_SCOPE_ADMIN] }),
      ),
    ).toBe(denied);
    // Another tenant's key looks exactly like one that does not exist.
    expect(await codeOf(r.client.revokeApiKey(own.token, other.token.split('_')[1]))).toBe(
      status.NOT_FOUND,
    );
    expect(await codeOf(r.client.revokeApiKey(own.token, '0123456789abcdef'))).toBe(
      status.NOT_FOUND,
    );
    expect(await codeOf(r.client.route(own.token, { tenantId: other.id }))).toBe(denied);

    // Its own tenant is fine, named or left empty.
    await r.client.putFunction(own.token, { ...fn, tenantId: own.id });
    const key = await r.client.createApiKey(own.token, { scopes: [API_KEY_SCOPE_INFERENCE] });
    expect(key.apiKey).toMatchObject({ tenantId: own.id, operator: false });
    expect(
      (await r.client.route(key.apiKeySecret, { functionName: 'f' })).decision?.variantName,
    ).toBe('v');
  });

  it('returns the same key without a secret on a CreateApiKey retry', async () => {
    const { id } = await tenantWith([API_KEY_SCOPE_INFERENCE]);
    const request = { tenantId: id, scopes: [API_KEY_SCOPE_FEEDBACK], idempotencyKey: 'k-1' };
    const first = await r.client.createApiKey(operator, request);
    expect(first.apiKey).toMatchObject({ tenantId: id, scopes: [API_KEY_SCOPE_FEEDBACK] });
    expect(first.apiKeySecret).not.toBe('');
    const retry = await r.client.createApiKey(operator, {
      ...request,
      scopes: [API_KEY_SCOPE_ADMIN],
    });
    expect(retry.apiKey).toEqual(first.apiKey);
    expect(retry.apiKeySecret).toBe('');
    expect(
      await codeOf(
        r.client.createApiKey(operator, {
          tenantId: 'no-such-tenant',
          scopes: [API_KEY_SCOPE_INFERENCE],
        }),
      ),
    ).toBe(status.NOT_FOUND);
  });

  it('revokes a key: it leaves the keys snapshot and is refused', async () => {
    const { token } = await tenantWith([API_KEY_SCOPE_INFERENCE]);
    const keyId = token.split('_')[1];
    await r.client.route(token, {});

    const { keysVersion } = await r.client.revokeApiKey(operator, keyId);
    const keys = await reader.keys();
    expect(keys.version).toBeGreaterThanOrEqual(keysVersion);
    expect(keys.snapshot.keys.map((key) => key.keyId)).not.toContain(keyId);
    await eventually(
      async () => (await codeOf(r.client.route(token, {}))) === status.UNAUTHENTICATED,
      {
        what: 'the revoked key refused',
      },
    );

    // Revoking again changes nothing; an unknown key is not found.
    const again = await r.client.revokeApiKey(operator, keyId);
    expect(again.keysVersion).toBeGreaterThanOrEqual(keysVersion);
    expect(await codeOf(r.client.revokeApiKey(operator, '0123456789abcdef'))).toBe(
      status.NOT_FOUND,
    );
  });
});
