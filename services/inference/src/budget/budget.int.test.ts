// Hard budgets on the request path, through gRPC on the real servers: a budget that cannot
// cover a request's maximum cost refuses it, or downgrades it to the budget's cheaper variant;
// every request settles at the cost its event records.
import { type ServiceError, status } from '@grpc/grpc-js';
import { bucketsOf, inference, router } from '@keel/contracts';
import { budgetPeriodStart } from '@keel/routing';
import { eventually } from '@keel/testing';
import { TestInference, keysSnapshot, userAsks } from '../app.fixture';
import { BUDGETS_MAX_AGE_MS } from '../store/budget-holds';
import { budgetedTenant, budgetsSnapshot, builtinModel, maxCallCost } from './budget.fixture';

const { BUDGET_PERIOD_DAY, BUDGET_PERIOD_MONTH } = router.BudgetPeriod;
const { BUDGET_ACTION_REFUSE, BUDGET_ACTION_DOWNGRADE } = router.BudgetAction;
const { INFERENCE_STATUS_CANCELLED: CANCELLED } = inference.InferenceStatus;

const MAX_TOKENS = 24;
const question = userAsks('How do I reset the password of my account on the mobile app?');

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the request was answered');
}

describe('hard budgets', () => {
  let service: TestInference;
  let events: Map<string, inference.InferenceCompleted>;
  let smallCost: bigint;
  let largeCost: bigint;
  const tenant = budgetedTenant(
    [
      { name: 'capped', variants: { v1: ['sim-small'] } },
      { name: 'free', variants: { v1: ['sim-small'] } },
      { name: 'answer', variants: { large: ['sim-large'], small: ['sim-small'] } },
      { name: 'too-big', variants: { large: ['sim-large'], small: ['sim-large'] } },
      { name: 'unpriced', variants: { v1: ['sim-small', 'no-price'] } },
    ],
    [],
  );

  beforeAll(async () => {
    smallCost = await maxCallCost(builtinModel('sim-small'), question, MAX_TOKENS);
    largeCost = await maxCallCost(builtinModel('sim-large'), question, MAX_TOKENS);
    tenant.budgets = [
      {
        budgetName: 'monthly-cap',
        functionName: 'capped',
        period: BUDGET_PERIOD_MONTH,
        // Two requests fit, whatever they cost; a third never does.
        limitNanoUsd: (5n * smallCost) / 2n,
        action: BUDGET_ACTION_REFUSE,
      },
      {
        budgetName: 'answer-daily',
        functionName: 'answer',
        period: BUDGET_PERIOD_DAY,
        limitNanoUsd: largeCost / 2n,
        action: BUDGET_ACTION_DOWNGRADE,
        downgradeVariant: 'small',
      },
      {
        budgetName: 'too-big-daily',
        functionName: 'too-big',
        period: BUDGET_PERIOD_DAY,
        limitNanoUsd: largeCost / 2n,
        action: BUDGET_ACTION_DOWNGRADE,
        downgradeVariant: 'small',
      },
      {
        budgetName: 'unpriced-daily',
        functionName: 'unpriced',
        period: BUDGET_PERIOD_DAY,
        limitNanoUsd: 1_000_000_000n,
        action: BUDGET_ACTION_REFUSE,
      },
      // A soft budget only alerts: it never stops a request.
      { budgetName: 'soft', period: BUDGET_PERIOD_DAY, limitNanoUsd: 1n },
    ];
    service = await TestInference.start();
    events = await service.collectEvents();
    const noPrice = { ...builtinModel('sim-small'), name: 'no-price', price: undefined };
    await service.publish(budgetsSnapshot([tenant], [noPrice]), keysSnapshot([tenant.key]));
  });

  afterAll(async () => {
    await service.close();
  });

  const ask = (functionName: string) =>
    service.complete({ functionName, messages: question, maxTokens: MAX_TOKENS }, tenant.key.token);

  it('refuses with RESOURCE_EXHAUSTED naming the budget once what is left cannot cover a request', async () => {
    await ask('capped');
    await ask('capped');
    const error = await refusal(ask('capped'));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(
      new RegExp(
        `^budget 'monthly-cap' of tenant ${tenant.tenantId} \\(function 'capped'\\): what is ` +
          `left of its ${(5n * smallCost) / 2n} nano-USD this month cannot cover this ` +
          `request's maximum cost of ${smallCost} nano-USD; it renews at `,
      ),
    );
    // Another function of the tenant is not under that budget.
    expect((await ask('free')).text).not.toBe('');
  });

  it('DOWNGRADE runs the budget’s cheaper variant when the routed one cannot fit, and the event names the budget', async () => {
    const response = await ask('answer');
    expect(response.variantName).toBe('small');
    expect(response.model).toBe('sim-small');
    const event = await eventually(() => events.get(response.inferenceId));
    expect(event).toMatchObject({
      functionName: 'answer',
      variantName: 'small',
      model: 'sim-small',
      downgradedByBudget: 'answer-daily',
    });
  });

  it('DOWNGRADE refuses naming the budget when the cheaper variant does not fit either', async () => {
    const error = await refusal(ask('too-big'));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(
      new RegExp(
        `^budget 'too-big-daily' of tenant ${tenant.tenantId} \\(function 'too-big'\\): .* ` +
          `maximum cost of ${largeCost} nano-USD even on downgrade variant 'small'`,
      ),
    );
  });

  it('refuses FAILED_PRECONDITION under a hard budget when a model of the chain has no price, naming it', async () => {
    const error = await refusal(ask('unpriced'));
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toBe(
      `budget 'unpriced-daily' of tenant ${tenant.tenantId} (function 'unpriced'): model ` +
        "'no-price' has no price, so the cost of a request cannot be bounded under a hard " +
        "budget; price the model or take it out of variant 'v1'",
    );
  });

  it('an event not under a hard budget names no budget', async () => {
    const response = await ask('free');
    const event = await eventually(() => events.get(response.inferenceId));
    expect(event.downgradedByBudget).toBe('');
  });
});

describe('settling streams', () => {
  const STREAM_MAX_TOKENS = 400;
  let service: TestInference;
  let events: Map<string, inference.InferenceCompleted>;
  let maxCost: bigint;
  const tenant = budgetedTenant([{ name: 'chat', variants: { v1: ['sim-small'] } }], []);

  beforeAll(async () => {
    maxCost = await maxCallCost(builtinModel('sim-small'), question, STREAM_MAX_TOKENS);
    tenant.budgets = [
      {
        budgetName: 'chat-daily',
        period: BUDGET_PERIOD_DAY,
        limitNanoUsd: 100n * maxCost,
        action: BUDGET_ACTION_REFUSE,
      },
    ];
    // Slow enough that a stream is still running when the caller cancels it.
    service = await TestInference.start({ KEEL_SIM_TOKENS_PER_SECOND: '200' });
    events = await service.collectEvents();
    await service.publish(budgetsSnapshot([tenant]), keysSnapshot([tenant.key]));
  });

  afterAll(async () => {
    await service.close();
  });

  it('streams, a cancelled one included, are settled at their events’ cost: the shared state holds that spend once the replica stops', async () => {
    const request = { functionName: 'chat', messages: question, maxTokens: STREAM_MAX_TOKENS };
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const done = await service.stream(request, tenant.key.token);
      expect(done.status.code).toBe(status.OK);
      ids.push(done.messages[0].inferenceId);
    }
    const cancelled = await service.stream(request, tenant.key.token, {
      onMessage: (_message, call) => call.cancel(),
    });
    expect(cancelled.status.code).toBe(status.CANCELLED);
    ids.push(cancelled.messages[0].inferenceId);

    const recorded = await eventually(() => {
      const found = ids.map((id) => events.get(id));
      return found.every((event) => event !== undefined) ? found : undefined;
    });
    expect(recorded[2]?.status).toBe(CANCELLED);
    const cost = recorded.reduce((sum, event) => sum + event!.costNanoUsd, 0n);
    // Settled at less than reserved: a stream is billed for what it generated, not max_tokens.
    expect(cost).toBeGreaterThan(0n);
    expect(cost).toBeLessThan(3n * maxCost);

    await service.stopApp();
    const key = `${tenant.tenantId}.chat-daily.${budgetPeriodStart(BUDGET_PERIOD_DAY, Date.now())}`;
    const bucket = await service.bus.kv(bucketsOf(service.bus.prefix).budgets, {
      history: 1,
      ttlMs: BUDGETS_MAX_AGE_MS,
    });
    const entry = await bucket.get(key);
    const state = JSON.parse(Buffer.from(entry!.value).toString('utf8')) as {
      spent: number;
      holds: Record<string, { amount: number }>;
    };
    expect(BigInt(state.spent)).toBe(cost);
    expect(Object.values(state.holds).map((hold) => hold.amount)).toEqual([0]);
  });
});
