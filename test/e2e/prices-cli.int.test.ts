// The operator loads the shipped price list with the `keel` CLI, as the README shows: models of
// configured providers enter the catalog at their list prices, the others stay out; a change
// given a time to come is scheduled, not applied.
import path from 'node:path';
import { builtinCatalog, findModel } from '@keel/catalog';
import { runCli } from '../support/cli';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, type Clients } from '../support/clients';

jest.setTimeout(120_000);

const PRICE_LIST = path.resolve(__dirname, '../../deploy/prices/models.json');

describe('keel catalog load-prices and keel model put --effective-at', () => {
  let cluster: Cluster;
  let clients: Clients;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startCluster(['router']);
    clients = clientsOf(cluster.address('router'), '127.0.0.1:1');
    cliEnv = { KEEL_ROUTER_ADDR: cluster.address('router'), KEEL_ADMIN_KEY: cluster.adminKey() };
    const provider = await runCli(
      [
        'provider',
        'put',
        'openai',
        '--kind',
        'openai-compatible',
        '--base-url',
        'https://api.openai.com/v1',
        '--secret-env',
        'OPENAI_API_KEY',
      ],
      cliEnv,
    );
    expect(provider.code).toBe(0);
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
  });

  const catalog = async () => (await clients.getCatalog(cluster.adminKey())).catalog!;

  it('puts the models of configured providers at their list prices and leaves the rest out', async () => {
    const loaded = await runCli(['catalog', 'load-prices', PRICE_LIST], cliEnv);
    expect(loaded).toMatchObject({ code: 0, stderr: '' });
    expect(loaded.stdout).toContain(
      'prices as of 2025-08-31 from https://platform.openai.com/docs/pricing, https://docs.anthropic.com/en/docs/about-claude/pricing',
    );
    expect(loaded.stdout).toContain(
      "skipped claude-sonnet-4: provider 'anthropic' is not configured",
    );
    expect(loaded.stdout).toMatch(/^put gpt-4o-mini in catalog version \d+, effective at /m);

    const current = await catalog();
    expect(findModel(current, 'gpt-4o-mini')?.price).toMatchObject({
      inputNanoUsdPerMtok: 150_000_000n,
      outputNanoUsdPerMtok: 600_000_000n,
      cachedInputNanoUsdPerMtok: 75_000_000n,
    });
    expect(findModel(current, 'o3')?.providerModel).toBe('o3');
    expect(current.models.filter((model) => model.provider === 'anthropic')).toEqual([]);
    // The sim models keep their built-in prices.
    expect(findModel(current, 'sim-small')).toEqual(findModel(builtinCatalog(0n), 'sim-small'));

    // Loading the same list again changes nothing.
    const again = await runCli(['catalog', 'load-prices', PRICE_LIST], cliEnv);
    expect(again.code).toBe(0);
    expect((await catalog()).version).toBe(current.version);
  });

  it('schedules a price given a time to come, and refuses one in the past naming effective_at', async () => {
    const before = await catalog();
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const put = (effectiveAt: string) =>
      runCli(
        [
          'model',
          'put',
          'gpt-4o-mini',
          '--provider',
          'openai',
          '--provider-model',
          'gpt-4o-mini',
          '--context-window',
          '128000',
          '--max-output-tokens',
          '16384',
          '--input-usd-per-mtok',
          '0.20',
          '--output-usd-per-mtok',
          '0.80',
          '--effective-at',
          effectiveAt,
        ],
        cliEnv,
      );
    const scheduled = await put(at);
    expect(scheduled).toMatchObject({ code: 0, stderr: '' });
    expect(scheduled.stdout).toContain(`in catalog version ${before.version + 1n}`);
    expect(scheduled.stdout).toContain(`effective at ${at}`);
    // Until then, the catalog in effect is unchanged.
    expect(await catalog()).toEqual(before);

    const past = await put('2020-01-01T00:00:00Z');
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('effective_at: 2020-01-01T00:00:00.000Z is in the past');
    const unzoned = await put('2030-01-01T00:00:00');
    expect(unzoned.code).not.toBe(0);
    expect(unzoned.stderr).toContain('expected an ISO 8601 time with its zone');
  });
});
