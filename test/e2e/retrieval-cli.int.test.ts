// `keel collection`, `keel ingest` and `keel retrieve` as an operator runs them: the router and
// retrieval as real processes, the CLI as a child process, a folder of Markdown, text and JSONL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { router } from '@keel/contracts';
import { eventually, uniqueName } from '@keel/testing';
import { type CliResult, runCli } from '../support/cli';
import { clientsOf, type Clients } from '../support/clients';
import { startCluster, type Cluster } from '../support/cluster';

jest.setTimeout(180_000);

const { API_KEY_SCOPE_INFERENCE: INFERENCE, API_KEY_SCOPE_ADMIN: ADMIN } = router.ApiKeyScope;

describe('keel collection, ingest and retrieve', () => {
  let cluster: Cluster;
  let clients: Clients;
  let env: NodeJS.ProcessEnv;
  let folder: string;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'retrieval']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const admin = cluster.adminKey();
    const acme = await clients.createTenant(admin, uniqueName('acme'));
    const key = await clients.createApiKey(admin, {
      tenantId: acme.tenant!.tenantId,
      scopes: [INFERENCE, ADMIN],
    });
    env = { KEEL_RETRIEVAL_ADDR: cluster.address('retrieval'), KEEL_API_KEY: key.apiKeySecret };
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-ingest-'));
    fs.mkdirSync(path.join(folder, 'guides'));
    fs.writeFileSync(
      path.join(folder, 'guides', 'travel.md'),
      '# Travel\n\nBook trains through the portal.\n\n## Expenses\n\nKeep every receipt for meals.\n',
    );
    fs.writeFileSync(path.join(folder, 'welcome.txt'), 'Welcome to the team, new colleague.');
    fs.writeFileSync(
      path.join(folder, 'faq.jsonl'),
      [
        {
          id: 'vpn',
          text: 'Connect to the VPN before opening the wiki.',
          metadata: { team: 'it' },
        },
        { id: 'laptop', text: 'Laptops are replaced every three years.', metadata: { team: 'it' } },
        { id: 'lunch', text: 'Lunch is served at noon in the canteen.', metadata: { team: 'hr' } },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  /** The new tenant's key reaches retrieval through the keys snapshot a moment after creation. */
  const succeeds = (args: string[]): Promise<CliResult> =>
    eventually(
      async () => {
        const result = await runCli(args, env);
        return result.code === 0 && result;
      },
      { what: `keel ${args.join(' ')} to succeed`, timeoutMs: 30_000 },
    );

  it('ingests a folder, then finds nothing to write when it is ingested again', async () => {
    const created = await succeeds(['collection', 'create', 'handbook', '--split-headings']);
    expect(created.stdout).toContain(
      'collection handbook: 256-token chunks, 32 overlap, model local-hash-384',
    );

    const first = await runCli(['ingest', 'handbook', folder], env);
    expect(first.stdout).toContain(
      'ingested 5 documents from 3 files into handbook: 5 written, 0 unchanged, 6 chunks',
    );
    const again = await runCli(['ingest', 'handbook', folder], env);
    expect(again.stdout).toContain(
      '5 documents from 3 files into handbook: 0 written, 5 unchanged',
    );

    const listed = await runCli(['collection', 'list'], env);
    expect(listed.stdout).toContain('handbook\t5 documents\t6 chunks\tlocal-hash-384');
  });

  it('retrieves the best chunk with its heading path indexed, and filters by metadata', async () => {
    const found = await runCli(['retrieve', 'handbook', 'meal receipts', '--top-k', '1'], env);
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(/^1\. guides\/travel\.md#1 {2}score/);
    expect(found.stdout).toContain('Keep every receipt for meals.');

    const filtered = await runCli(
      ['retrieve', 'handbook', 'served at noon', '--filter', 'team=it', '--top-k', '5'],
      env,
    );
    expect(filtered.stdout).not.toContain('lunch#0');
    expect(filtered.stdout).toContain('vpn#0');
  });

  it('refuses a JSONL line without text, naming the line', async () => {
    const bad = path.join(folder, 'bad.jsonl');
    fs.writeFileSync(bad, '{"id": "x"}\n');
    const result = await runCli(['ingest', 'handbook', bad], env);
    fs.rmSync(bad);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('bad.jsonl:1: "text" must be a string');
  });

  it('deletes the collection', async () => {
    await succeeds(['collection', 'delete', 'handbook']);
    const listed = await runCli(['collection', 'list'], env);
    expect(listed.stdout).not.toContain('handbook');
  });
});
