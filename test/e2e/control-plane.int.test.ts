// The router's changes reach inference through the KV snapshots, and inference keeps
// serving from the last snapshot while the router is down.
import { status } from '@grpc/grpc-js';
import { eventually } from '@keel/testing';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, grpcError, userMessage, type Clients } from '../support/clients';

jest.setTimeout(120_000);

describe('control plane', () => {
  let cluster: Cluster;
  let clients: Clients;
  let tenantId: string;
  let tenantKey: string;
  let tenantKeyId: string;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const created = await clients.createTenant(cluster.adminKey(), 'globex');
    tenantId = created.tenant!.tenantId;
    tenantKey = created.apiKeySecret;
    tenantKeyId = created.apiKey!.keyId;
    await eventually(() => clients.complete(tenantKey, { messages: [userMessage('hello')] }), {
      what: 'first Complete',
    });
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
  });

  it('refuses router writes without an admin key', async () => {
    const noKey = await grpcError(clients.createTenant('', 'intruder'));
    expect(noKey.code).toBe(status.UNAUTHENTICATED);
    const tenantOnly = await grpcError(clients.createTenant(tenantKey, 'intruder'));
    expect(tenantOnly.code).toBe(status.PERMISSION_DENIED);
    const put = await grpcError(
      clients.putFunction(tenantKey, {
        tenantId,
        functionName: 'support.answer',
        variants: [{ variantName: 'default', modelChain: ['sim-large'], defaultMaxTokens: 64 }],
      }),
    );
    expect(put.code).toBe(status.PERMISSION_DENIED);
  });

  it('applies a policy change made through the router', async () => {
    const changedAt = Date.now();
    await clients.putFunction(cluster.adminKey(), {
      tenantId,
      functionName: 'default',
      variants: [{ variantName: 'large', modelChain: ['sim-large'], defaultMaxTokens: 64 }],
      policy: { fixed: { variantName: 'large' } },
    });
    const reply = await eventually(
      async () => {
        const answer = await clients.complete(tenantKey, { messages: [userMessage('route me')] });
        return answer.model === 'sim-large' ? answer : null;
      },
      { what: 'the new policy at inference', intervalMs: 5 },
    );
    console.info(`policy change reached inference in ${Date.now() - changedAt} ms`);
    expect(reply.variantName).toBe('large');
  });

  it('keeps serving from the last snapshot while the router is down', async () => {
    await cluster.stop('router');
    try {
      const reply = await clients.complete(tenantKey, { messages: [userMessage('still there?')] });
      expect(reply.text.length).toBeGreaterThan(0);
    } finally {
      await cluster.start('router');
    }
  });

  it('refuses a revoked key', async () => {
    const revokedAt = Date.now();
    await clients.revokeApiKey(cluster.adminKey(), tenantKeyId);
    const error = await eventually(
      async () => {
        const failure = await grpcError(
          clients.complete(tenantKey, { messages: [userMessage('am I in?')] }),
        );
        return failure.code === status.UNAUTHENTICATED ? failure : null;
      },
      { what: 'the revoked key refused', intervalMs: 5 },
    );
    console.info(`revoked key refused by inference after ${Date.now() - revokedAt} ms`);
    expect(error.details).toContain('revoked');
  });
});
