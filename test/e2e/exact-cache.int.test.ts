// The exact cache set through the router: PutFunction's cache policy reaches inference with the
// policy snapshot, router and inference real processes, the model the sim upstream over HTTP,
// whose request count shows when a model was called.
import { randomBytes } from 'node:crypto';
import { router } from '@keel/contracts';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, userMessage, type Clients } from '../support/clients';

jest.setTimeout(120_000);

const SECRET_ENV = 'KEEL_E2E_CACHE_UPSTREAM_KEY';
const SECRET = `sk-planted-${randomBytes(12).toString('hex')}`;

describe('the exact cache, configured through the router', () => {
  let upstream: SimUpstream;
  let cluster: Cluster;
  let clients: Clients;
  let tenantId: string;
  let tenantKey: string;

  beforeAll(async () => {
    upstream = await startSimUpstream({ secret: SECRET });
    cluster = await startCluster(['router']);
    await cluster.start('inference', { [SECRET_ENV]: SECRET });
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const admin = cluster.adminKey();
    await clients.putProvider(admin, {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
      secretEnv: SECRET_ENV,
    });
    for (const name of ['up-small', 'up-large']) {
      await clients.putModel(admin, {
        name,
        provider: 'upstream',
        providerModel: name,
        tier: router.ModelTier.MODEL_TIER_SMALL,
        contextWindow: 128_000n,
        maxOutputTokens: 4_096n,
        price: {
          inputNanoUsdPerMtok: 1_000_000_000n,
          outputNanoUsdPerMtok: 2_000_000_000n,
          cachedInputNanoUsdPerMtok: 500_000_000n,
        },
        tokenizer: 'o200k_base',
        capabilities: ['streaming'],
      });
    }
    const created = await clients.createTenant(admin, 'initech');
    tenantId = created.tenant!.tenantId;
    tenantKey = created.apiKeySecret;
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
    await upstream?.stop();
  });

  const putFunction = (chain: string[], cache?: router.CachePolicy) =>
    clients.putFunction(cluster.adminKey(), {
      tenantId,
      functionName: 'faq',
      variants: [{ variantName: 'v1', modelChain: chain, defaultMaxTokens: 64 }],
      policy: { fixed: { variantName: 'v1' } },
      cache,
    });
  const ask = (content: string) =>
    clients.complete(tenantKey, { functionName: 'faq', messages: [userMessage(content)] });
  const minute = { ttl: { seconds: 60n, nanos: 0 } };

  it('answers repeats from the cache once PutFunction sets a ttl, and stops when it is unset', async () => {
    await putFunction(['up-small'], minute);
    const question = `What are your opening hours? ${randomBytes(4).toString('hex')}`;
    // The function reaches inference with the snapshot shortly after it is put.
    const first = await eventually(() => ask(question), { what: 'Complete on faq' });
    const before = upstream.counters().requests;
    const hit = await ask(question);
    expect(upstream.counters().requests).toBe(before);
    expect(hit).toMatchObject({
      text: first.text,
      costNanoUsd: 0n,
      cacheHit: { sourceInferenceId: first.inferenceId, savedNanoUsd: first.costNanoUsd },
    });

    const { policyVersion } = await putFunction(['up-small']);
    // Once inference routes by the new snapshot the repeat is no hit: the model is called.
    const uncached = await eventually(
      async () => {
        const again = await ask(question);
        return again.cacheHit ? null : again;
      },
      { what: `an answer under policy snapshot ${policyVersion} without a cache` },
    );
    expect(upstream.counters().requests).toBeGreaterThan(before);
    expect(uncached.costNanoUsd).toBeGreaterThan(0n);
  });

  it('misses once the function’s chain is replaced', async () => {
    await putFunction(['up-small'], minute);
    const question = `Do you ship abroad? ${randomBytes(4).toString('hex')}`;
    // The first answer under the new snapshot is stored, and a repeat then hits.
    await eventually(async () => (await ask(question)).cacheHit, { what: 'a hit on faq' });
    await putFunction(['up-large'], minute);
    const replaced = await eventually(
      async () => {
        const again = await ask(question);
        return again.model === 'up-large' ? again : null;
      },
      { what: 'an answer of up-large' },
    );
    expect(replaced.cacheHit).toBeUndefined();
  });
});
