// How closely hard budgets hold under concurrency: rounds of requests at once, spread over
// replicas that each have their own NATS connection and share one budget through leases of its
// KV state, as inference replicas do. Each request reserves its maximum cost, waits as a model
// call would, then settles an actual cost of --settle-min to 100% of it (100: a model that
// writes max_tokens). Reports, per round, the share of the limit spent and any overspend, and
// what reserving cost a request.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Bus, connectBus } from '@keel/bus';
import { router } from '@keel/contracts';
import { startLocalServers } from '@keel/local';
import { uniqueName } from '@keel/testing';
import pino from 'pino';
import { Budgeter } from '../../services/inference/src/budget/budgeter';
import { BudgetHolds } from '../../services/inference/src/store/budget-holds';

const logger = pino({ level: 'silent' });
const MAX_COST = 100_000n;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '10' },
      requests: { type: 'string', default: '200' },
      replicas: { type: 'string', default: '2' },
      // The limit covers this many requests' maximum cost.
      covered: { type: 'string', default: '150' },
      'call-ms': { type: 'string', default: '20' },
      'settle-min': { type: 'string', default: '100' },
    },
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-'));
  const servers = await startLocalServers({ dataDir });
  const prefix = uniqueName('bench');
  const buses: Bus[] = [];
  const holds: BudgetHolds[] = [];
  try {
    const replicas = Number(values.replicas);
    const budgeters: Budgeter[] = [];
    for (let i = 0; i < replicas; i++) {
      const bus = await connectBus({
        servers: servers.natsUrl,
        name: `bench-${i}`,
        prefix,
        logger,
      });
      buses.push(bus);
      holds.push(await BudgetHolds.open(bus, { replicaId: `bench-${i}` }));
      budgeters.push(
        new Budgeter(holds[i], { whenUnavailable: 'allow', leaseTimeoutMs: 2_000, logger }),
      );
    }
    const requests = Number(values.requests);
    const limit = BigInt(values.covered) * MAX_COST + MAX_COST / 2n;
    const callMs = Number(values['call-ms']);
    const settleMin = Number(values['settle-min']);
    console.log(
      `${requests} requests at once on ${replicas} replicas, limit ${values.covered}.5 × the ` +
        `maximum cost, calls of ${callMs} ms settling ${settleMin}-100% of it`,
    );
    const shares: number[] = [];
    let worstOverspend = 0n;
    let reserveMs = 0;
    for (let round = 0; round < Number(values.rounds); round++) {
      const budget = router.Budget.fromPartial({
        tenantId: 'bench',
        budgetName: `round-${round}`,
        period: router.BudgetPeriod.BUDGET_PERIOD_MONTH,
        limitNanoUsd: limit,
        action: router.BudgetAction.BUDGET_ACTION_REFUSE,
      });
      let spent = 0n;
      let answered = 0;
      await Promise.all(
        Array.from({ length: requests }, async (_, i) => {
          const started = performance.now();
          const result = await budgeters[i % replicas].reserve([budget], MAX_COST);
          reserveMs += performance.now() - started;
          if (!('reservation' in result)) return;
          await new Promise((resolve) => setTimeout(resolve, callMs));
          const percent = settleMin + Math.floor(Math.random() * (101 - settleMin));
          const cost = (MAX_COST * BigInt(percent)) / 100n;
          spent += cost;
          answered += 1;
          result.reservation.settle(cost);
        }),
      );
      const overspend = spent > limit ? spent - limit : 0n;
      if (overspend > worstOverspend) worstOverspend = overspend;
      const share = Number((spent * 10_000n) / limit) / 100;
      shares.push(share);
      console.log(
        `round ${round}: ${answered} answered, spent ${share}% of the limit, overspend ${overspend}`,
      );
    }
    console.log(
      `spent ${Math.min(...shares)}% to ${Math.max(...shares)}% of the limit; worst overspend ` +
        `${worstOverspend} nano-USD (one request's maximum: ${MAX_COST}); reserving took ` +
        `${(reserveMs / (requests * shares.length)).toFixed(2)} ms a request on average`,
    );
  } finally {
    for (const hold of holds) await hold.releaseAll();
    await Promise.all(buses.map((bus) => bus.drain()));
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
