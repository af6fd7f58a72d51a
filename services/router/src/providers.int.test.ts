import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import { builtinCatalog, findModel, nanoUsd } from '@keel/catalog';
import { router } from '@keel/contracts';
import { CURRENT_CATALOG_KEY, SNAPSHOT_KEY, catalogVersionKey } from '@keel/snapshots';
import { testServers, uniqueName } from '@keel/testing';
import { BSON, MongoClient } from 'mongodb';
import pino from 'pino';
import { SnapshotReader, codeOf, startTestRouter, type TestRouter } from './router.fixture';
import { Catalogs } from './snapshots/catalog';

const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;
const { PROVIDER_KIND_SIM, PROVIDER_KIND_OPENAI_COMPATIBLE, PROVIDER_KIND_ANTHROPIC } =
  router.ProviderKind;

// The router runs in this process, so a variable set here is in the router's environment.
const SECRET_ENV = `KEEL_TEST_SECRET_${randomBytes(4).toString('hex').toUpperCase()}`;
const SECRET = `sk-planted-${randomBytes(16).toString('hex')}`;

const openai: Partial<router.Provider> = {
  name: 'openai',
  kind: PROVIDER_KIND_OPENAI_COMPATIBLE,
  baseUrl: 'https://api.openai.com/v1',
  secretEnv: SECRET_ENV,
  defaultHeaders: { 'OpenAI-Organization': 'org-keel' },
};

function gpt4oMini(outputDollarsPerMtok = '0.60'): router.Model {
  return router.Model.fromPartial({
    name: 'gpt-4o-mini',
    provider: 'openai',
    providerModel: 'gpt-4o-mini',
    tier: router.ModelTier.MODEL_TIER_SMALL,
    contextWindow: 128_000n,
    maxOutputTokens: 16_384n,
    price: {
      inputNanoUsdPerMtok: nanoUsd('0.15'),
      outputNanoUsdPerMtok: nanoUsd(outputDollarsPerMtok),
      cachedInputNanoUsdPerMtok: nanoUsd('0.075'),
    },
    tokenizer: 'o200k_base',
    capabilities: ['streaming', 'tools', 'json_mode'],
  });
}

/** A logger that keeps every line the router writes, at every level. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

describe('providers and models', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let log: ReturnType<typeof capturedLogger>;
  let tenantAdmin: string;

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    log = capturedLogger();
    r = await startTestRouter(uniqueName('rt'), log.logger);
    reader = await SnapshotReader.open(r.prefix);
    const created = await r.client.createTenant(r.operatorToken, {
      name: 'Acme',
      keyScopes: [API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE],
    });
    tenantAdmin = created.apiKeySecret;
  });

  afterAll(async () => {
    delete process.env[SECRET_ENV];
    await reader.close();
    await r.stop();
  });

  it('lists only the built-in sim before any provider is configured', async () => {
    const { providers } = await r.client.listProviders(r.operatorToken);
    expect(providers).toEqual([
      router.Provider.fromPartial({ name: 'sim', kind: PROVIDER_KIND_SIM }),
    ]);
    expect((await reader.policy()).snapshot.providers).toEqual([]);
  });

  it('refuses PutModel and PutFunction for a provider that is not configured', async () => {
    const put = r.client.putModel(r.operatorToken, gpt4oMini());
    await expect(put).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(put).rejects.toThrow(
      "model.provider: model 'gpt-4o-mini' is served by provider 'openai', which is not configured",
    );
    expect(findModel((await r.client.getCatalog(r.operatorToken)).catalog!, 'gpt-4o-mini')).toBe(
      null,
    );

    // A catalog holding a model of a provider no one configured, as an older release's might.
    const builtin = builtinCatalog(0n);
    const claude = router.Model.fromPartial({
      ...gpt4oMini(),
      name: 'claude-3-5-haiku',
      provider: 'anthropic',
      providerModel: 'claude-3-5-haiku-20241022',
    });
    await new Catalogs(reader.buckets.catalog).publish([
      { ...builtin, models: [...builtin.models, claude], effectiveAt: new Date() },
    ]);
    const before = (await reader.policy()).version;
    const fn = r.client.putFunction(tenantAdmin, {
      functionName: 'support.answer',
      variants: [
        { variantName: 'v', modelChain: ['sim-small', 'claude-3-5-haiku'], defaultMaxTokens: 0 },
      ],
    });
    await expect(fn).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(fn).rejects.toThrow(
      "variants[0].model_chain[1]: model 'claude-3-5-haiku' is served by provider 'anthropic', which is not configured",
    );
    // Still refused as unknown when the model is not in the catalog at all.
    expect(
      await codeOf(
        r.client.putFunction(tenantAdmin, {
          functionName: 'support.answer',
          variants: [{ variantName: 'v', modelChain: ['gpt-9'], defaultMaxTokens: 0 }],
        }),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    expect((await reader.policy()).version).toBe(before);
  });

  it('refuses a bad provider with INVALID_ARGUMENT naming the field, storing nothing', async () => {
    const before = (await reader.policy()).version;
    const cases: Array<[Partial<router.Provider>, RegExp]> = [
      [{ name: 'sim' }, /provider\.name: 'sim' is built in/],
      [{ name: 'Open AI' }, /provider\.name: /],
      [{ kind: PROVIDER_KIND_SIM }, /provider\.kind: PROVIDER_KIND_SIM is built in/],
      [{ kind: router.ProviderKind.PROVIDER_KIND_UNSPECIFIED }, /provider\.kind: /],
      [{ baseUrl: 'ftp://example.com' }, /provider\.base_url: must be an http or https URL/],
      [{ secretFile: '/run/secrets/openai' }, /provider\.secret_file: set secret_env or/],
      [{ secretEnv: 'sk-not-a-name' }, /provider\.secret_env: must be the name of an env/],
      [{ secretEnv: '', secretFile: 'relative/key' }, /provider\.secret_file: must be an abs/],
      [
        { defaultHeaders: { Authorization: `Bearer ${SECRET}` } },
        /provider\.default_headers\[Authorization\]: .*secret_env or secret_file/,
      ],
      [
        { defaultHeaders: { 'x-api-key': SECRET } },
        /provider\.default_headers\[x-api-key\]: .*secret_env or secret_file/,
      ],
    ];
    for (const [change, message] of cases) {
      const call = r.client.putProvider(r.operatorToken, { ...openai, ...change });
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
    expect((await reader.policy()).version).toBe(before);
    expect((await r.client.listProviders(r.operatorToken)).providers).toHaveLength(1);
  });

  it('refuses every key but an operator key, the tenant admin with PERMISSION_DENIED', async () => {
    const denied = status.PERMISSION_DENIED;
    expect(await codeOf(r.client.putProvider(tenantAdmin, openai))).toBe(denied);
    expect(await codeOf(r.client.listProviders(tenantAdmin))).toBe(denied);
    expect(await codeOf(r.client.putModel(tenantAdmin, gpt4oMini()))).toBe(denied);
    expect(await codeOf(r.client.putProvider(null, openai))).toBe(status.UNAUTHENTICATED);
    expect((await r.client.listProviders(r.operatorToken)).providers).toHaveLength(1);
  });

  it('stores a provider and publishes it in the policy snapshot, by secret name only', async () => {
    const before = (await reader.policy()).version;
    const put = await r.client.putProvider(r.operatorToken, openai);
    expect(put.policyVersion).toBeGreaterThan(before);
    const expected = {
      name: 'openai',
      kind: PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: 'https://api.openai.com/v1',
      secretEnv: SECRET_ENV,
      secretFile: '',
      defaultHeaders: { 'openai-organization': 'org-keel' },
    };
    expect(put.provider).toMatchObject(expected);

    const published = await reader.policy();
    expect(published.version).toBeGreaterThanOrEqual(put.policyVersion);
    expect(published.snapshot.providers).toEqual([
      { ...expected, updatedAt: put.provider!.updatedAt },
    ]);

    const anthropic = await r.client.putProvider(r.operatorToken, {
      name: 'anthropic',
      kind: PROVIDER_KIND_ANTHROPIC,
      baseUrl: 'https://api.anthropic.com',
      secretFile: '/run/secrets/anthropic',
    });
    const { providers } = await r.client.listProviders(r.operatorToken);
    expect(providers.map((p) => [p.name, p.kind])).toEqual([
      ['sim', PROVIDER_KIND_SIM],
      ['anthropic', PROVIDER_KIND_ANTHROPIC],
      ['openai', PROVIDER_KIND_OPENAI_COMPATIBLE],
    ]);

    // Put again: replaced, not added.
    const moved = await r.client.putProvider(r.operatorToken, {
      ...openai,
      baseUrl: 'https://eu.api.openai.com/v1',
    });
    expect(moved.policyVersion).toBeGreaterThan(anthropic.policyVersion);
    const after = (await reader.policy()).snapshot.providers;
    expect(after.map((p) => [p.name, p.baseUrl])).toEqual([
      ['anthropic', 'https://api.anthropic.com'],
      ['openai', 'https://eu.api.openai.com/v1'],
    ]);
  });

  it('publishes a new catalog version with a model, carried by the policy snapshot', async () => {
    const before = (await r.client.getCatalog(r.operatorToken)).catalog!;
    const put = await r.client.putModel(r.operatorToken, gpt4oMini());
    const catalog = put.catalog!;
    expect(catalog.version).toBe(before.version + 1n);
    expect(catalog.models.map((m) => m.name)).toEqual(['sim-small', 'sim-large', 'gpt-4o-mini']);
    expect(findModel(catalog, 'gpt-4o-mini')).toEqual(gpt4oMini());
    expect((await reader.policy()).snapshot.catalog).toEqual(catalog);
    const stored = await reader.buckets.catalog.get(catalogVersionKey(catalog.version));
    expect(router.ModelCatalog.decode(stored!.value)).toEqual(catalog);

    // The same model again changes nothing; a new price is a new version, the model replaced.
    expect((await r.client.putModel(r.operatorToken, gpt4oMini())).catalog?.version).toBe(
      catalog.version,
    );
    const repriced = (await r.client.putModel(r.operatorToken, gpt4oMini('0.65'))).catalog!;
    expect(repriced.version).toBe(catalog.version + 1n);
    expect(repriced.models.filter((m) => m.name === 'gpt-4o-mini')).toEqual([gpt4oMini('0.65')]);
    expect((await reader.policy()).snapshot.catalog).toEqual(repriced);

    // Now a function may use it.
    const fn = await r.client.putFunction(tenantAdmin, {
      functionName: 'support.answer',
      variants: [
        { variantName: 'v', modelChain: ['gpt-4o-mini', 'sim-small'], defaultMaxTokens: 0 },
      ],
    });
    const { decision } = await r.client.route(tenantAdmin, { functionName: 'support.answer' });
    expect(decision).toMatchObject({
      modelChain: ['gpt-4o-mini', 'sim-small'],
      catalogVersion: repriced.version,
      policyVersion: fn.policyVersion,
    });
  });

  it('refuses a bad model with INVALID_ARGUMENT naming the field', async () => {
    const cases: Array<[Partial<router.Model>, RegExp]> = [
      [{ contextWindow: 0n }, /model\.context_window: /],
      [{ tier: router.ModelTier.MODEL_TIER_UNSPECIFIED }, /model\.tier: /],
      [{ tokenizer: 'p50k_base' }, /model\.tokenizer: 'p50k_base' is not a known tokenizer/],
      [{ capabilities: ['chat'] }, /model\.capabilities\[0\]: 'chat' is not a capability/],
      [
        { price: { ...gpt4oMini().price!, reasoningNanoUsdPerMtok: -1n } },
        /model\.price\.reasoning_nano_usd_per_mtok: must be 0 or more/,
      ],
    ];
    for (const [change, message] of cases) {
      const call = r.client.putModel(r.operatorToken, { ...gpt4oMini(), ...change });
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
    expect(await codeOf(r.client.putModel(r.operatorToken, undefined))).toBe(
      status.INVALID_ARGUMENT,
    );
  });

  it("keeps the planted secret out of the router's database, KV and log", async () => {
    const mongo = await MongoClient.connect(testServers().mongoUrl);
    let database = '';
    try {
      const db = mongo.db(`${r.prefix}_router`);
      for (const { name } of await db.listCollections().toArray()) {
        for (const doc of await db.collection(name).find({}).toArray()) {
          database += Buffer.from(BSON.serialize(doc)).toString('latin1');
        }
      }
    } finally {
      await mongo.close();
    }

    const { buckets } = reader;
    const current = await buckets.catalog.get(CURRENT_CATALOG_KEY);
    const latest = BigInt(new TextDecoder().decode(current!.value));
    const entries = [
      await buckets.policy.get(SNAPSHOT_KEY),
      await buckets.keys.get(SNAPSHOT_KEY),
      current,
    ];
    for (let version = 1n; version <= latest; version += 1n) {
      entries.push(await buckets.catalog.get(catalogVersionKey(version)));
    }
    const kv = entries.map((entry) => Buffer.from(entry!.value).toString('latin1')).join('');

    // Each holds where the secret is, so the search looked in the right places.
    expect(database).toContain(SECRET_ENV);
    expect(kv).toContain(SECRET_ENV);
    expect(log.text()).toContain('snapshot published');
    expect(database).not.toContain(SECRET);
    expect(kv).not.toContain(SECRET);
    expect(log.text()).not.toContain(SECRET);
  });
});

describe('models across a router restart', () => {
  it('are rebuilt from the store into the same catalog version', async () => {
    const prefix = uniqueName('rt');
    const first = await startTestRouter(prefix);
    let put: router.ModelCatalog;
    try {
      await first.client.putProvider(first.operatorToken, { ...openai, secretEnv: '' });
      put = (await first.client.putModel(first.operatorToken, gpt4oMini())).catalog!;
    } finally {
      await first.stop();
    }

    const second = await startTestRouter(prefix);
    try {
      const { catalog } = await second.client.getCatalog(second.operatorToken);
      expect(catalog).toEqual(put);
      expect(findModel(catalog!, 'gpt-4o-mini')).toEqual(gpt4oMini());
      const reader = await SnapshotReader.open(prefix);
      try {
        const { snapshot } = await reader.policy();
        expect(snapshot.catalog).toEqual(put);
        expect(snapshot.providers.map((p) => p.name)).toEqual(['openai']);
      } finally {
        await reader.close();
      }
    } finally {
      await second.stop();
    }
  });
});
