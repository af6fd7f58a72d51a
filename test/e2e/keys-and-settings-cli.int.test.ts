// An operator gives keys an expiry and functions and tenants their settings with the `keel`
// CLI, as the README shows; inference refuses an expired key on its own clock.
import { status } from '@grpc/grpc-js';
import { connectBus, type Bus } from '@keel/bus';
import { router } from '@keel/contracts';
import { SNAPSHOT_KEY, openSnapshotBuckets, type SnapshotBuckets } from '@keel/snapshots';
import { eventually, testServers } from '@keel/testing';
import pino from 'pino';
import { runCli } from '../support/cli';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, grpcError, userMessage, type Clients } from '../support/clients';

jest.setTimeout(120_000);

describe('keel key create --expires-in, keel function and keel tenant settings', () => {
  let cluster: Cluster;
  let clients: Clients;
  let cliEnv: NodeJS.ProcessEnv;
  let tenantId: string;
  let bus: Bus;
  let buckets: SnapshotBuckets;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    cliEnv = { KEEL_ROUTER_ADDR: cluster.address('router'), KEEL_ADMIN_KEY: cluster.adminKey() };
    tenantId = (await clients.createTenant(cluster.adminKey(), 'initech')).tenant!.tenantId;
    bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'keys-cli-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    buckets = await openSnapshotBuckets(bus);
  });

  afterAll(async () => {
    await bus?.drain();
    clients?.close();
    await cluster?.shutdown();
  });

  async function publishedTenant(): Promise<router.TenantPolicy | undefined> {
    const entry = await buckets.policy.get(SNAPSHOT_KEY);
    return router.PolicySnapshot.decode(entry!.value).tenants.find((t) => t.tenantId === tenantId);
  }

  it('creates a key that inference accepts until it expires, then refuses saying when', async () => {
    const created = await runCli(
      ['key', 'create', '--tenant', tenantId, '--scopes', 'inference', '--expires-in', '3s'],
      cliEnv,
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const [summary, token] = created.stdout.trim().split('\n');
    const expiresAt = /expires (\S+)$/.exec(summary)?.[1];
    expect(expiresAt).toBeDefined();

    await eventually(() => clients.complete(token, { messages: [userMessage('hello')] }), {
      what: 'the new key at inference',
    });
    const refused = await eventually(
      async () => {
        const failure = await grpcError(
          clients.complete(token, { messages: [userMessage('still in?')] }),
        ).catch(() => null);
        return failure?.code === status.UNAUTHENTICATED ? failure : null;
      },
      { what: 'the expired key refused', intervalMs: 100 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt!));
    expect(refused.details).toBe(`API key expired at ${expiresAt}`);
  });

  it('refuses an expiry in the past with the router’s message', async () => {
    const past = await runCli(
      ['key', 'create', '--tenant', tenantId, '--expires-at', '2020-01-01T00:00:00Z'],
      cliEnv,
    );
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('expires_at: 2020-01-01T00:00:00.000Z is not in the future');
  });

  it("publishes a function's guardrails, rate limit and cache set with flags", async () => {
    const put = await runCli(
      [
        'function',
        'support.answer',
        '--tenant',
        tenantId,
        '--models',
        'sim-small',
        '--max-messages',
        '50',
        '--redact-pii',
        'email_address,phone_number',
        '--safety-input',
        'block',
        '--fallback',
        'Sorry.',
        '--rpm',
        '600',
        '--cache-ttl',
        '300',
      ],
      cliEnv,
    );
    expect(put).toMatchObject({ code: 0, stderr: '' });
    const fn = (await publishedTenant())?.functions.find(
      (f) => f.functionName === 'support.answer',
    );
    expect(fn?.guardrails).toEqual({
      limits: { maxInputTokens: 0n, maxMessages: 50, maxOutputTokens: 0 },
      pii: {
        types: [router.PiiType.PII_TYPE_EMAIL_ADDRESS, router.PiiType.PII_TYPE_PHONE_NUMBER],
        redactUpstream: false,
      },
      contentSafety: {
        inputAction: router.SafetyAction.SAFETY_ACTION_BLOCK,
        outputAction: router.SafetyAction.SAFETY_ACTION_UNSPECIFIED,
        categories: [],
      },
      fallback: { text: 'Sorry.' },
    });
    expect(fn?.rateLimit).toEqual({ requestsPerMinute: 600n, tokensPerMinute: 0n });
    expect(fn?.cache).toEqual({ ttl: { seconds: 300n, nanos: 0 } });

    const bad = await runCli(
      ['function', 'bad', '--tenant', tenantId, '--models', 'sim-small', '--cache-ttl', '90000'],
      cliEnv,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('cache.ttl: 90000s is out of range');
  });

  it("publishes a tenant's settings set with keel tenant settings", async () => {
    const put = await runCli(
      ['tenant', 'settings', '--tenant', tenantId, '--max-output-tokens', '256', '--tpm', '5000'],
      cliEnv,
    );
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect((await publishedTenant())?.settings).toEqual({
      guardrails: {
        limits: { maxInputTokens: 0n, maxMessages: 0, maxOutputTokens: 256 },
        pii: undefined,
        contentSafety: undefined,
        fallback: undefined,
      },
      rateLimit: { requestsPerMinute: 0n, tokensPerMinute: 5000n },
    });
  });
});
