import { status } from '@grpc/grpc-js';
import { builtinCatalog, sameModels } from '@keel/catalog';
import { router } from '@keel/contracts';
import { SnapshotReader, codeOf, startTestRouter, type TestRouter } from './router.fixture';

const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;

describe('functions and routing', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let tenantId: string;
  let admin: string;

  beforeAll(async () => {
    r = await startTestRouter();
    reader = await SnapshotReader.open(r.prefix);
    const created = await r.client.createTenant(r.operatorToken, {
      name: 'Acme',
      keyScopes: [API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE],
    });
    tenantId = created.tenant!.tenantId;
    admin = created.apiKeySecret;
  });

  afterAll(async () => {
    await reader.close();
    await r.stop();
  });

  const answer: Partial<router.PutFunctionRequest> = {
    functionName: 'support.answer',
    variants: [
      { variantName: 'cheap', modelChain: ['sim-small'], defaultMaxTokens: 256 },
      { variantName: 'strong', modelChain: ['sim-large', 'sim-small'], defaultMaxTokens: 1024 },
    ],
    policy: { fixed: { variantName: 'strong' } },
  };

  it('refuses a bad definition, naming the field', async () => {
    const cases: Array<[Partial<router.PutFunctionRequest>, RegExp]> = [
      [{ functionName: 'Support Answer' }, /^3 INVALID_ARGUMENT: function_name: /],
      [{ variants: [] }, /variants: at least one variant/],
      [
        {
          variants: [{ variantName: 'v', modelChain: ['sim-small', 'x'], defaultMaxTokens: 0 }],
          policy: undefined,
        },
        /variants\[0\]\.model_chain\[1\]: 'x' is not in the catalog/,
      ],
      [
        {
          variants: [{ variantName: 'v', modelChain: ['sim-small'], defaultMaxTokens: -5 }],
          policy: undefined,
        },
        /variants\[0\]\.default_max_tokens/,
      ],
      [{ policy: { fixed: { variantName: 'nope' } } }, /policy\.fixed\.variant_name/],
    ];
    for (const [change, message] of cases) {
      const call = r.client.putFunction(admin, { ...answer, ...change });
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
  });

  it('publishes a new policy version holding the function, which Route decides from', async () => {
    const before = (await reader.policy()).version;
    const put = await r.client.putFunction(admin, answer);
    expect(put.policyVersion).toBeGreaterThan(before);
    expect(put.function).toMatchObject({ tenantId, functionName: 'support.answer' });

    const published = await reader.policy();
    expect(published.version).toBeGreaterThanOrEqual(put.policyVersion);
    const tenant = published.snapshot.tenants.find((t) => t.tenantId === tenantId);
    expect(tenant?.functions.map((f) => f.functionName)).toEqual(['default', 'support.answer']);
    expect(tenant?.functions[1]).toMatchObject({
      variants: answer.variants,
      policy: answer.policy,
    });

    const { decision } = await r.client.route(admin, { functionName: 'support.answer' });
    expect(decision).toMatchObject({
      functionName: 'support.answer',
      variantName: 'strong',
      modelChain: ['sim-large', 'sim-small'],
      policyVersion: put.policyVersion,
      catalogVersion: 1n,
    });
    expect(decision?.explanation).toContain(`policy snapshot ${put.policyVersion}`);
    expect(decision?.explanation).toContain("variant 'strong'");

    const pinned = await r.client.route(admin, {
      functionName: 'support.answer',
      model: 'sim-small',
    });
    expect(pinned.decision?.modelChain).toEqual(['sim-small']);
  });

  it('replaces a function, and make_default makes it the tenant default', async () => {
    const put = await r.client.putFunction(admin, {
      ...answer,
      policy: undefined,
      makeDefault: true,
    });
    expect(put.function?.policy).toEqual({ fixed: { variantName: 'cheap' } });
    const { decision } = await r.client.route(admin, {});
    expect(decision).toMatchObject({
      functionName: 'support.answer',
      variantName: 'cheap',
      modelChain: ['sim-small'],
      policyVersion: put.policyVersion,
    });
    expect(decision?.explanation).toContain("the tenant's default");
  });

  it('lets the operator act on any tenant, and reports unknown tenants and functions', async () => {
    const put = await r.client.putFunction(r.operatorToken, {
      ...answer,
      tenantId,
      functionName: 'ops.set',
    });
    expect(put.function?.tenantId).toBe(tenantId);
    const routed = await r.client.route(r.operatorToken, { tenantId, functionName: 'ops.set' });
    expect(routed.decision?.variantName).toBe('strong');

    expect(
      await codeOf(r.client.putFunction(r.operatorToken, { ...answer, tenantId: 'no-such' })),
    ).toBe(status.NOT_FOUND);
    expect(await codeOf(r.client.route(admin, { functionName: 'missing' }))).toBe(status.NOT_FOUND);
    expect(
      await codeOf(r.client.route(admin, { functionName: 'support.answer', model: 'x' })),
    ).toBe(status.INVALID_ARGUMENT);
  });

  it('returns the current catalog', async () => {
    const { catalog } = await r.client.getCatalog(admin);
    expect(catalog?.version).toBe(1n);
    expect(sameModels(catalog!, builtinCatalog(0n))).toBe(true);
    expect((await reader.policy()).snapshot.catalog).toEqual(catalog);
  });
});
