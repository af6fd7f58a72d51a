// The operator configures a provider and its models with the `keel` CLI, as the README shows.
import { router } from '@keel/contracts';
import { runCli } from '../support/cli';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, type Clients } from '../support/clients';

jest.setTimeout(120_000);

describe('keel provider and keel model', () => {
  let cluster: Cluster;
  let clients: Clients;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startCluster(['router']);
    clients = clientsOf(cluster.address('router'), '127.0.0.1:1');
    cliEnv = { KEEL_ROUTER_ADDR: cluster.address('router'), KEEL_ADMIN_KEY: cluster.adminKey() };
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
  });

  it('puts and lists a provider, storing only the name of its key variable', async () => {
    const put = await runCli(
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
        '--header',
        'OpenAI-Organization=org-keel',
      ],
      cliEnv,
    );
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(put.stdout).toContain('provider openai (openai-compatible) https://api.openai.com/v1');
    expect(put.stdout).toContain('key:      $OPENAI_API_KEY');

    const listed = await runCli(['provider', 'list'], cliEnv);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+BASE URL\s+KEY\s+HEADERS$/);
    expect(lines[1]).toMatch(/^sim\s+sim \(built in\)\s+-\s+-\s+-$/);
    expect(lines[2]).toMatch(
      /^openai\s+openai-compatible\s+https:\/\/api\.openai\.com\/v1\s+\$OPENAI_API_KEY\s+openai-organization=org-keel$/,
    );
  });

  it('refuses a secret-looking header with the router’s message, and both secret sources', async () => {
    const header = await runCli(
      [
        'provider',
        'put',
        'groq',
        '--kind',
        'openai-compatible',
        '--base-url',
        'https://api.groq.com/openai/v1',
        '--header',
        'Authorization=Bearer gsk-123',
      ],
      cliEnv,
    );
    expect(header.code).toBe(1);
    expect(header.stderr).toContain(
      'keel: provider.default_headers[Authorization]: it looks like a secret: name the variable or file holding it in secret_env or secret_file',
    );
    const both = await runCli(
      [
        'provider',
        'put',
        'groq',
        '--kind',
        'anthropic',
        '--base-url',
        'https://x.example',
        '--secret-env',
        'K',
        '--secret-file',
        '/k',
      ],
      cliEnv,
    );
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain(
      "option '--secret-env <var>' cannot be used with option '--secret-file <path>'",
    );
  });

  it('puts a model with its dollar prices converted exactly to nano-USD', async () => {
    const put = await runCli(
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
        '0.15',
        '--output-usd-per-mtok',
        '0.60',
        '--cached-input-usd-per-mtok',
        '0.075',
        '--tier',
        'small',
        '--tokenizer',
        'o200k_base',
        '--capability',
        'streaming',
        '--capability',
        'tools',
      ],
      cliEnv,
    );
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(put.stdout).toContain('model gpt-4o-mini (openai gpt-4o-mini) in catalog version 2');

    const { catalog } = await clients.getCatalog(cluster.adminKey());
    expect(catalog?.models.find((model) => model.name === 'gpt-4o-mini')).toEqual(
      router.Model.fromPartial({
        name: 'gpt-4o-mini',
        provider: 'openai',
        providerModel: 'gpt-4o-mini',
        tier: router.ModelTier.MODEL_TIER_SMALL,
        contextWindow: 128_000n,
        maxOutputTokens: 16_384n,
        price: {
          inputNanoUsdPerMtok: 150_000_000n,
          outputNanoUsdPerMtok: 600_000_000n,
          cachedInputNanoUsdPerMtok: 75_000_000n,
        },
        tokenizer: 'o200k_base',
        capabilities: ['streaming', 'tools'],
      }),
    );
  });

  it('refuses a dollar figure it cannot convert exactly, and a model of an unknown provider', async () => {
    const base = [
      'model',
      'put',
      'm',
      '--provider-model',
      'm',
      '--context-window',
      '1000',
      '--max-output-tokens',
      '100',
      '--output-usd-per-mtok',
      '1',
    ];
    const precise = await runCli(
      [...base, '--provider', 'openai', '--input-usd-per-mtok', '0.0000000001'],
      cliEnv,
    );
    expect(precise.code).not.toBe(0);
    expect(precise.stderr).toContain('not a dollar amount with at most 9 decimals: 0.0000000001');

    const unknown = await runCli(
      [...base, '--provider', 'vllm', '--input-usd-per-mtok', '0'],
      cliEnv,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      "keel: model.provider: model 'm' is served by provider 'vllm', which is not configured",
    );
  });
});
