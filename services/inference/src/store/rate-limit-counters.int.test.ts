import { type Bus, connectBus } from '@keel/bus';
import { createLogger } from '@keel/telemetry';
import { testServers, uniqueName } from '@keel/testing';
import { RateLimitCounters } from './rate-limit-counters';

const logger = createLogger('rate-limit-test', 'silent');

describe('RateLimitCounters on a real NATS KV bucket', () => {
  const buses: Bus[] = [];
  const replicas: RateLimitCounters[] = [];

  beforeAll(async () => {
    const prefix = uniqueName('rl');
    // Three connections, as three replicas would have.
    for (let i = 0; i < 3; i++) {
      const bus = await connectBus({
        servers: testServers().natsUrl,
        name: `rate-limit-test-${i}`,
        prefix,
        logger,
      });
      buses.push(bus);
      replicas.push(await RateLimitCounters.open(bus));
    }
  });

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.drain()));
  });

  it('leases under contention never hand out more than the limit, and hand out all of it', async () => {
    const key = 'tenant-a._tenant.rpm.1000';
    const leases = await Promise.all(
      Array.from({ length: 60 }, (_, i) => replicas[i % 3].lease(key, 200, 0)),
    );
    const granted = leases.map((lease) => lease.granted);
    expect(granted.reduce((sum, n) => sum + n, 0)).toBe(200);
    // Leases of 20: ten of them got budget, the rest found the window spent.
    expect(granted.filter((n) => n > 0)).toEqual(Array(10).fill(20));
    expect(Math.min(...leases.map((lease) => lease.left))).toBe(0);
  });

  it('a need bigger than a lease is granted whole, and refused whole when the window cannot cover it', async () => {
    const key = 'tenant-a._tenant.tpm.1000';
    expect(await replicas[0].lease(key, 1_000, 700)).toEqual({ granted: 700, left: 300 });
    expect(await replicas[1].lease(key, 1_000, 400)).toEqual({ granted: 0, left: 300 });
    expect(await replicas[2].lease(key, 1_000, 0)).toEqual({ granted: 100, left: 200 });
  });

  it('each limit and window counts apart', async () => {
    expect(await replicas[0].lease('tenant-b.f.rpm.1000', 10, 1)).toEqual({ granted: 1, left: 9 });
    expect(await replicas[0].lease('tenant-b.f.rpm.61000', 10, 1)).toEqual({ granted: 1, left: 9 });
    expect(await replicas[0].lease('tenant-c.f.rpm.1000', 10, 1)).toEqual({ granted: 1, left: 9 });
    // A function name holding dots, written with `/` (see limitName).
    expect(await replicas[0].lease('tenant-c.a//b/.rpm.1000', 10, 1)).toEqual({
      granted: 1,
      left: 9,
    });
  });
});
