// Rate limits set through the router reach inference in the policy snapshot: a function's limit
// and its tenant's, over the processes `npm start` runs.
import { type ServiceError, status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { call, routerClient } from '@keel/kit';
import { eventually, windowWithTimeLeft } from '@keel/testing';
import { type Cluster, startCluster } from '../support/cluster';
import { type Clients, clientsOf, userMessage } from '../support/clients';

jest.setTimeout(180_000);

const WINDOW_MS = 60_000;

describe('rate limits set through the router', () => {
  let cluster: Cluster;
  let clients: Clients;
  let routerStub: router.RouterServiceClient;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    routerStub = routerClient(cluster.address('router'));
  });

  afterAll(async () => {
    clients?.close();
    routerStub?.close();
    await cluster?.shutdown();
  });

  it('a function’s requests per minute, then its tenant’s, refuse with RESOURCE_EXHAUSTED and retry-after-ms', async () => {
    const admin = cluster.adminKey();
    const created = await clients.createTenant(admin, 'initech');
    const tenantId = created.tenant!.tenantId;
    const key = created.apiKeySecret;
    // Everything below runs within one window.
    await windowWithTimeLeft(WINDOW_MS, 40_000);
    await call<router.PutTenantSettingsResponse>(admin, (metadata, callback) =>
      routerStub.putTenantSettings(
        router.PutTenantSettingsRequest.fromPartial({
          tenantId,
          settings: { rateLimit: { requestsPerMinute: 5n } },
        }),
        metadata,
        callback,
      ),
    );
    await clients.putFunction(admin, {
      tenantId,
      functionName: 'support.answer',
      variants: [{ variantName: 'default', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
      rateLimit: { requestsPerMinute: 3n, tokensPerMinute: 0n },
    });
    const ask = (functionName: string) =>
      clients.complete(key, { functionName, messages: [userMessage('limit me')] });
    // The function is published after the settings: once inference routes it, both apply.
    // This first answer counts against both limits.
    await eventually(() => ask('support.answer'), { what: 'support.answer at inference' });

    const outcomes = async (functionName: string, count: number) => {
      const results: Array<'ok' | ServiceError> = [];
      for (let i = 0; i < count; i++) {
        results.push(
          await ask(functionName).then(
            () => 'ok' as const,
            (error: ServiceError) => error,
          ),
        );
      }
      return results;
    };
    const answer = await outcomes('support.answer', 3);
    expect(answer.slice(0, 2)).toEqual(['ok', 'ok']);
    const overFunction = answer[2] as ServiceError;
    expect(overFunction.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(overFunction.details).toMatch(
      `rate limit: function 'support.answer' of tenant ${tenantId} 3 requests per minute`,
    );
    expect(Number(overFunction.metadata.get('retry-after-ms')[0])).toBeGreaterThan(0);

    // The tenant's 5 less support.answer's 3.
    const other = await outcomes('default', 3);
    expect(other.slice(0, 2)).toEqual(['ok', 'ok']);
    const overTenant = other[2] as ServiceError;
    expect(overTenant.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(overTenant.details).toMatch(`rate limit: tenant ${tenantId} 5 requests per minute`);
  });
});
