// A hard budget holds across inference replicas: two inference apps, each with its own NATS
// connection and KV client, share one budget through leases of its shared state, under 200
// requests at once.
import { type ServiceError, status } from '@grpc/grpc-js';
import { inference, router } from '@keel/contracts';
import { eventually, uniqueName } from '@keel/testing';
import { TestInference, keysSnapshot, userAsks } from '../app.fixture';
import { budgetedTenant, budgetsSnapshot, builtinModel, maxCallCost } from './budget.fixture';

jest.setTimeout(180_000);

const REQUESTS = 200;
/** The limit covers this many requests' maximum cost, and half of one more. */
const REQUESTS_COVERED = 150;
const MAX_TOKENS = 16;
// A long question, so a request's cost is mostly input, known before it runs.
const question = userAsks(
  Array.from(
    { length: 40 },
    (_, i) => `Line ${i}: the order arrived late and the box was damaged on arrival.`,
  ).join('\n'),
);

describe('a hard budget across two inference replicas', () => {
  const prefix = uniqueName('bud');
  const replicas: TestInference[] = [];
  let events: Map<string, inference.InferenceCompleted>;
  let maxCost: bigint;
  let limit: bigint;
  const tenant = budgetedTenant([{ name: 'support', variants: { v1: ['sim-small'] } }], []);

  beforeAll(async () => {
    maxCost = await maxCallCost(builtinModel('sim-small'), question, MAX_TOKENS);
    limit = BigInt(REQUESTS_COVERED) * maxCost + maxCost / 2n;
    tenant.budgets = [
      {
        budgetName: 'monthly-cap',
        period: router.BudgetPeriod.BUDGET_PERIOD_MONTH,
        limitNanoUsd: limit,
        action: router.BudgetAction.BUDGET_ACTION_REFUSE,
      },
    ];
    for (let i = 0; i < 2; i++) {
      replicas.push(await TestInference.start({ KEEL_BUS_PREFIX: prefix }));
    }
    events = await replicas[0].collectEvents();
    await replicas[0].publish(budgetsSnapshot([tenant]), keysSnapshot([tenant.key]));
    // Each replica routes with the budget before the burst starts.
    for (const replica of replicas) {
      await eventually(async () => {
        const probe = await replica
          .complete({ messages: userAsks('ready?'), maxTokens: 1 }, tenant.key.token)
          .catch(() => null);
        return probe !== null;
      });
    }
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
  });

  it(`${REQUESTS} requests at once overspend by at most one request's maximum cost and spend at least 90% of the limit`, async () => {
    const probes = await eventually(() => (events.size >= 2 ? events.size : undefined));
    const before = new Set(events.keys());
    const outcomes = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        replicas[i % 2]
          .complete({ messages: question, maxTokens: MAX_TOKENS }, tenant.key.token)
          .then(
            (response) => ({ response, error: null }),
            (error: ServiceError) => ({ response: null, error }),
          ),
      ),
    );
    const answered = outcomes.flatMap((outcome) => (outcome.response ? [outcome.response] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.error ? [outcome.error] : []));
    for (const error of refused) {
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.details).toMatch(`budget 'monthly-cap' of tenant ${tenant.tenantId}: `);
    }
    const burst = await eventually(() => {
      const found = [...events.values()].filter((event) => !before.has(event.inferenceId));
      return found.length === answered.length ? found : undefined;
    });
    const probeCost = [...before].reduce((sum, id) => sum + events.get(id)!.costNanoUsd, 0n);
    const spent = probeCost + burst.reduce((sum, event) => sum + event.costNanoUsd, 0n);
    const overspend = spent > limit ? spent - limit : 0n;
    const share = Number((spent * 10_000n) / limit) / 100;
    console.log(
      `${REQUESTS} requests on 2 replicas against a limit of ${limit} nano-USD ` +
        `(${REQUESTS_COVERED}.5 × a request's maximum cost of ${maxCost}): ${answered.length} ` +
        `answered, ${refused.length} refused; spent ${spent} nano-USD = ${share}% of the limit ` +
        `(${probes} probes included); overspend ${overspend} nano-USD`,
    );
    expect(answered.length + refused.length).toBe(REQUESTS);
    expect(overspend).toBeLessThanOrEqual(maxCost);
    expect(spent * 100n).toBeGreaterThanOrEqual(limit * 90n);
    // Both replicas answered from the one budget.
    const servedBy = new Set(outcomes.flatMap((outcome, i) => (outcome.response ? [i % 2] : [])));
    expect(servedBy).toEqual(new Set([0, 1]));
  });
});
