import { status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { SnapshotReader, startTestRouter, type TestRouter } from './router.fixture';

const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;

const retrieval: router.RetrievalConfig = {
  collection: 'handbook',
  topK: 8,
  // Above 2^32 would be refused; this one shows an int64 kept as such through the store.
  maxContextTokens: 2_048n,
  // A key with a dot, which a field name of a stored document could not hold.
  filter: { 'product.line': 'billing', $lang: 'en' },
};
const semanticCache: router.SemanticCachePolicy = {
  minSimilarity: 0.93,
  ttl: { seconds: 600n, nanos: 0 },
};

describe('function retrieval and semantic cache settings', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let tenantId: string;
  let admin: string;

  beforeAll(async () => {
    r = await startTestRouter();
    reader = await SnapshotReader.open(r.prefix);
    const scopes = { keyScopes: [API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE] };
    const acme = await r.client.createTenant(r.operatorToken, { name: 'Acme', ...scopes });
    tenantId = acme.tenant!.tenantId;
    admin = acme.apiKeySecret;
  });

  afterAll(async () => {
    await reader.close();
    await r.stop();
  });

  const base: Partial<router.PutFunctionRequest> = {
    functionName: 'support.answer',
    variants: [{ variantName: 'v', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
  };

  async function published(functionName: string): Promise<router.KeelFunction | undefined> {
    const tenant = (await reader.policy()).snapshot.tenants.find((t) => t.tenantId === tenantId);
    return tenant?.functions.find((f) => f.functionName === functionName);
  }

  it('stores retrieval and the semantic cache and publishes them with the function', async () => {
    const put = await r.client.putFunction(admin, { ...base, retrieval, semanticCache });
    expect(put.function).toMatchObject({ retrieval, semanticCache });

    const fn = await published('support.answer');
    expect(fn?.retrieval).toEqual(retrieval);
    expect(fn?.semanticCache).toEqual(semanticCache);
  });

  it('leaves both unset for a function that sets neither', async () => {
    await r.client.putFunction(admin, { ...base, functionName: 'plain' });
    const fn = await published('plain');
    expect(fn).toBeDefined();
    expect(fn?.retrieval).toBeUndefined();
    expect(fn?.semanticCache).toBeUndefined();
  });

  it.each<[string, Partial<router.PutFunctionRequest>, string]>([
    [
      'an empty collection',
      { retrieval: { ...retrieval, collection: '' } },
      'retrieval.collection',
    ],
    ['top_k past 100', { retrieval: { ...retrieval, topK: 101 } }, 'retrieval.top_k'],
    [
      'a negative budget',
      { retrieval: { ...retrieval, maxContextTokens: -1n } },
      'retrieval.max_context_tokens',
    ],
    [
      'a similarity above 1',
      { semanticCache: { ...semanticCache, minSimilarity: 1.5 } },
      'semantic_cache.min_similarity',
    ],
    [
      'a negative similarity',
      { semanticCache: { ...semanticCache, minSimilarity: -0.2 } },
      'semantic_cache.min_similarity',
    ],
    ['no ttl', { semanticCache: { minSimilarity: 0.9, ttl: undefined } }, 'semantic_cache.ttl'],
    [
      'a ttl past a day',
      { semanticCache: { ...semanticCache, ttl: { seconds: 86_401n, nanos: 0 } } },
      'semantic_cache.ttl',
    ],
  ])('refuses %s, naming the field', async (_, change, field) => {
    const call = r.client.putFunction(admin, { ...base, functionName: 'refused', ...change });
    await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(call).rejects.toThrow(field);
    expect(await published('refused')).toBeUndefined();
  });
});
