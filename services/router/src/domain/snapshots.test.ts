import { builtinCatalog } from '@keel/catalog';
import { router } from '@keel/contracts';
import { buildKeysSnapshot, buildPolicySnapshot, sameSnapshot } from './snapshots';
import { apiKeyRecord, defaultFunction } from './tenant';

const catalog = builtinCatalog(2n);
const now = new Date('2025-08-01T00:00:00Z');
const { API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;

function tenant(tenantId: string): router.Tenant {
  return { tenantId, name: tenantId, defaultFunctionName: 'default', createdAt: now };
}

function fn(tenantId: string, functionName: string): router.KeelFunction {
  return { ...defaultFunction(tenantId, catalog, now), functionName };
}

describe('buildPolicySnapshot', () => {
  it("files each tenant's functions under it, sorted, with the catalog", () => {
    const snapshot = buildPolicySnapshot(
      catalog,
      [tenant('b'), tenant('a')],
      [fn('a', 'zeta'), fn('b', 'default'), fn('a', 'alpha')],
      [],
      new Map(),
    );
    expect(snapshot.catalog).toBe(catalog);
    expect(snapshot.publishedAt).toBeUndefined();
    expect(
      snapshot.tenants.map((t) => [t.tenantId, t.functions.map((f) => f.functionName)]),
    ).toEqual([
      ['a', ['alpha', 'zeta']],
      ['b', ['default']],
    ]);
    expect(snapshot.tenants.every((t) => t.functions.every((f) => f.tenantId === t.tenantId))).toBe(
      true,
    );
  });

  it('leaves out functions of tenants it does not list', () => {
    const snapshot = buildPolicySnapshot(
      catalog,
      [tenant('a')],
      [fn('ghost', 'default')],
      [],
      new Map(),
    );
    expect(snapshot.tenants).toEqual([
      {
        tenantId: 'a',
        defaultFunctionName: 'default',
        functions: [],
        settings: undefined,
        budgets: [],
      },
    ]);
  });

  it("files each tenant's budgets under it, sorted by name, and leaves out other tenants'", () => {
    const budget = (tenantId: string, budgetName: string) =>
      router.Budget.fromPartial({ tenantId, budgetName, limitNanoUsd: 1n });
    const snapshot = buildPolicySnapshot(catalog, [tenant('a'), tenant('b')], [], [], new Map(), [
      budget('a', 'zeta'),
      budget('ghost', 'cap'),
      budget('a', 'alpha'),
      budget('b', 'cap'),
    ]);
    expect(snapshot.tenants.map((t) => [t.tenantId, t.budgets.map((b) => b.budgetName)])).toEqual([
      ['a', ['alpha', 'zeta']],
      ['b', ['cap']],
    ]);
  });

  it('carries the providers sorted by name, so their order in the store does not matter', () => {
    const provider = (name: string) =>
      router.Provider.fromPartial({
        name,
        kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
        baseUrl: `https://${name}.example/v1`,
      });
    const snapshot = buildPolicySnapshot(
      catalog,
      [],
      [],
      [provider('vllm'), provider('groq')],
      new Map(),
    );
    expect(snapshot.providers.map((p) => p.name)).toEqual(['groq', 'vllm']);
  });
});

describe('buildKeysSnapshot and sameSnapshot', () => {
  const record = (keyId: string) =>
    apiKeyRecord({
      tenantId: 'a',
      key: { keyId, secretSha256: Buffer.alloc(32, 1) },
      scopes: [API_KEY_SCOPE_INFERENCE],
      operator: false,
    });

  it('sorts keys, so the same keys encode the same whatever the order', () => {
    const first = buildKeysSnapshot([record('b'), record('a')]);
    const second = buildKeysSnapshot([record('a'), record('b')]);
    expect(first.keys.map((k) => k.keyId)).toEqual(['a', 'b']);
    const published = router.KeysSnapshot.encode({ ...first, publishedAt: now }).finish();
    expect(sameSnapshot(router.KeysSnapshot, published, second)).toBe(true);
    expect(sameSnapshot(router.KeysSnapshot, published, buildKeysSnapshot([record('a')]))).toBe(
      false,
    );
  });

  it('tells a policy that changed from one that did not', () => {
    const snapshot = buildPolicySnapshot(
      catalog,
      [tenant('a')],
      [fn('a', 'default')],
      [],
      new Map(),
    );
    const published = router.PolicySnapshot.encode({ ...snapshot, publishedAt: now }).finish();
    expect(sameSnapshot(router.PolicySnapshot, published, snapshot)).toBe(true);
    const newCatalog = buildPolicySnapshot(
      builtinCatalog(3n),
      [tenant('a')],
      [fn('a', 'default')],
      [],
      new Map(),
    );
    expect(sameSnapshot(router.PolicySnapshot, published, newCatalog)).toBe(false);
    const newSettings = buildPolicySnapshot(
      catalog,
      [tenant('a')],
      [fn('a', 'default')],
      [],
      new Map([
        ['a', { guardrails: undefined, rateLimit: { requestsPerMinute: 5n, tokensPerMinute: 0n } }],
      ]),
    );
    expect(sameSnapshot(router.PolicySnapshot, published, newSettings)).toBe(false);
  });
});
