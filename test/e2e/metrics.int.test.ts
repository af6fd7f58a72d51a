// Metrics through the standard OTEL_* variables: router and inference run as processes with a
// Prometheus endpoint each, and a scrape shows the RPC and snapshot instruments with the
// counts of the calls the test made.
import { status } from '@grpc/grpc-js';
import { eventually, freePort } from '@keel/testing';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, grpcError, userMessage, type Clients } from '../support/clients';
import { scrape, valueOf } from '../support/prometheus';

jest.setTimeout(120_000);

const COMPLETE = 'keel.inference.v1.InferenceService/Complete';
const CALLS = 'rpc_server_call_duration_count';

describe('metrics on a Prometheus endpoint', () => {
  let cluster: Cluster;
  let clients: Clients;
  let tenantKey: string;
  const ports = { router: 0, inference: 0 };

  const prometheus = (port: number) => ({
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
  });

  beforeAll(async () => {
    ports.router = await freePort();
    ports.inference = await freePort();
    cluster = await startCluster([]);
    await cluster.start('router', prometheus(ports.router));
    await cluster.start('inference', prometheus(ports.inference));
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    tenantKey = (await clients.createTenant(cluster.adminKey(), 'acme')).apiKeySecret;
    // The new key reaches inference through the keys snapshot shortly after creation.
    await eventually(() => clients.complete(tenantKey, { messages: [userMessage('warm')] }), {
      what: 'Complete with the new key',
    });
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
  });

  it('counts requests and errors per RPC and status, with their duration', async () => {
    const before = await scrape(ports.inference);
    for (const content of ['one', 'two', 'three']) {
      await clients.complete(tenantKey, { messages: [userMessage(content)] });
    }
    const failed = await grpcError(
      clients.complete(tenantKey, { messages: [userMessage('[sim:fail] break')] }),
    );
    expect(failed.code).toBe(status.UNAVAILABLE);
    const refused = await grpcError(clients.complete(tenantKey, { messages: [] }));
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    const after = await scrape(ports.inference);

    const delta = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    const ok = { rpc_method: COMPLETE, rpc_status_code: 'OK', rpc_system_name: 'grpc' };
    const unavailable = {
      rpc_method: COMPLETE,
      rpc_status_code: 'UNAVAILABLE',
      error_type: 'UNAVAILABLE',
    };
    const invalid = { rpc_method: COMPLETE, rpc_status_code: 'INVALID_ARGUMENT' };

    expect(delta(CALLS, ok)).toBe(3);
    expect(delta(CALLS, unavailable)).toBe(1);
    expect(delta(CALLS, invalid)).toBe(1);
    // The caller's mistake is counted, but not as an error of the service.
    expect(
      after.filter(
        (sample) => sample.name === CALLS && sample.labels.rpc_status_code === 'INVALID_ARGUMENT',
      ),
    ).toEqual([
      expect.objectContaining({
        labels: expect.not.objectContaining({ error_type: expect.anything() }),
      }),
    ]);
    // The duration: a sum of seconds, and buckets whose widest holds every call.
    expect(delta('rpc_server_call_duration_sum', ok)).toBeGreaterThan(0);
    expect(valueOf(after, 'rpc_server_call_duration_bucket', { ...ok, le: '+Inf' })).toBe(
      valueOf(after, CALLS, ok),
    );
  });

  it('reports the age of the snapshots each service follows', async () => {
    for (const port of [ports.router, ports.inference]) {
      const samples = await scrape(port);
      for (const snapshot of ['policy', 'keys']) {
        const age = samples.filter(
          (sample) =>
            sample.name === 'keel_snapshot_age' && sample.labels.keel_snapshot_name === snapshot,
        );
        expect(age).toHaveLength(1);
        expect(age[0].value).toBeGreaterThanOrEqual(0);
        // Published during this test, so younger than the test's own timeout.
        expect(age[0].value).toBeLessThan(120);
      }
    }
  });

  it('counts the router’s RPCs too', async () => {
    const samples = await scrape(ports.router);
    expect(
      valueOf(samples, CALLS, {
        rpc_method: 'keel.router.v1.RouterService/CreateTenant',
        rpc_status_code: 'OK',
      }),
    ).toBe(1);
  });
});
