// An operator sets a tenant's budget with the `keel` CLI, as the README shows: inference, a
// separate process, refuses what the budget cannot cover until the budget is deleted.
import { status } from '@grpc/grpc-js';
import { runCli } from '../support/cli';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, grpcError, userMessage, type Clients } from '../support/clients';
import { eventually } from '@keel/testing';

jest.setTimeout(120_000);

describe('keel budget put, list and delete', () => {
  let cluster: Cluster;
  let clients: Clients;
  let cliEnv: NodeJS.ProcessEnv;
  let tenantId: string;
  let tenantKey: string;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    cliEnv = { KEEL_ROUTER_ADDR: cluster.address('router'), KEEL_ADMIN_KEY: cluster.adminKey() };
    const created = await clients.createTenant(cluster.adminKey(), 'initech');
    tenantId = created.tenant!.tenantId;
    tenantKey = created.apiKeySecret;
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
  });

  const ask = () => clients.complete(tenantKey, { messages: [userMessage('hello')] });

  it('a REFUSE budget set with the CLI stops the tenant’s requests at inference until it is deleted', async () => {
    await eventually(ask, { what: 'the new tenant served at inference' });
    const put = await runCli(
      [
        'budget',
        'put',
        'day-cap',
        '--tenant',
        tenantId,
        '--period',
        'day',
        '--limit-usd',
        '0.000001',
        '--action',
        'refuse',
      ],
      cliEnv,
    );
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(put.stdout).toContain(
      'day-cap: $0.000001000 per day, every function, refuse; alerts at 50%, 80%, 100%',
    );

    const refused = await eventually(
      async () => {
        const failure = await grpcError(ask()).catch(() => null);
        return failure?.code === status.RESOURCE_EXHAUSTED ? failure : null;
      },
      { what: 'the budget refusing at inference' },
    );
    expect(refused.details).toMatch(
      new RegExp(`^budget 'day-cap' of tenant ${tenantId}: what is left of its 1000 nano-USD`),
    );

    const listed = await runCli(['budget', 'list', '--tenant', tenantId], cliEnv);
    expect(listed.stdout.trim().split('\n')).toEqual([
      'day-cap: $0.000001000 per day, every function, refuse; alerts at 50%, 80%, 100%',
    ]);

    const deleted = await runCli(['budget', 'delete', 'day-cap', '--tenant', tenantId], cliEnv);
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    await eventually(ask, { what: 'the tenant served again' });
  });

  it('prints the router’s message naming the field for a wrong budget', async () => {
    const bad = await runCli(
      ['budget', 'put', 'zero', '--tenant', tenantId, '--period', 'month', '--limit-usd', '0'],
      cliEnv,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('budget.limit_nano_usd: must be above 0');
  });
});
