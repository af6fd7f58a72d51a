import { type Bus, connectBus } from '@keel/bus';
import { createLogger } from '@keel/telemetry';
import { testServers, uniqueName } from '@keel/testing';
import { BUDGET_HOLD_TTL_MS, BudgetHolds } from './budget-holds';

const logger = createLogger('budget-holds-test', 'silent');

describe('BudgetHolds on a real NATS KV bucket', () => {
  const buses: Bus[] = [];
  const replicas: BudgetHolds[] = [];
  const clock = { now: Date.UTC(2026, 11, 1, 12) };

  beforeAll(async () => {
    const prefix = uniqueName('bh');
    // Two connections, as two replicas would have, on one clock the test moves.
    for (let i = 0; i < 2; i++) {
      const bus = await connectBus({
        servers: testServers().natsUrl,
        name: `budget-holds-test-${i}`,
        prefix,
        logger,
      });
      buses.push(bus);
      replicas.push(await BudgetHolds.open(bus, { replicaId: `r${i}`, now: () => clock.now }));
    }
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.releaseAll();
    await Promise.all(buses.map((bus) => bus.drain()));
  });

  it('leases under contention never hand out more than the limit, and hand out all of it', async () => {
    const key = 't1.contended.1000';
    const leases = await Promise.all(
      Array.from({ length: 60 }, (_, i) => replicas[i % 2].lease(key, 1_000, 10)),
    );
    const granted = leases.map((lease) => lease.granted);
    expect(granted.reduce((sum, n) => sum + n, 0)).toBe(1_000);
    expect(Math.min(...leases.map((lease) => lease.left))).toBe(0);
  });

  it('a replica’s hold returns to the budget once it goes unrenewed for the hold’s time; its reported spend stays', async () => {
    const [dead, alive] = replicas;
    const key = 't1.cap.2000';
    // The replica that dies leased 400, spent 150 of it and reported that spend.
    expect(await dead.lease(key, 1_000, 400)).toEqual({ granted: 400, left: 600 });
    dead.spent(key, 150);
    await dead.renewAll();
    // Its remaining hold of 250 still counts while it may be running requests under it.
    expect(await alive.lease(key, 1_000, 700)).toEqual({ granted: 0, left: 600 });

    clock.now += BUDGET_HOLD_TTL_MS;
    expect(await alive.lease(key, 1_000, 700)).toEqual({ granted: 700, left: 150 });
  });

  it('a stopping replica reports its spend and gives its hold back at once', async () => {
    const [leaving, staying] = replicas;
    const key = 't1.cap.3000';
    await leaving.lease(key, 1_000, 500);
    leaving.spent(key, 200);
    expect(await staying.lease(key, 1_000, 600)).toEqual({ granted: 0, left: 500 });
    await leaving.releaseAll();
    expect(await staying.lease(key, 1_000, 600)).toEqual({ granted: 600, left: 200 });
  });
});
