// The BillingService on the real servers: usage reports from the rollups billing keeps while it
// consumes, reconcile against the ledger, unbilled inferences, and tenant walls.
import * as grpc from '@grpc/grpc-js';
import { builtinCatalog, costOf, findModel } from '@keel/catalog';
import { billing, common } from '@keel/contracts';
import { eventually, uniqueName } from '@keel/testing';
import { BILLING_DURABLE } from './consumers/inference-completed';
import {
  ReportsDeployment,
  type TestKey,
  analyticsKey,
  billableEvent,
  cacheHitEvent,
} from './reports.fixture';

jest.setTimeout(60_000);

const { USAGE_DIMENSION_FUNCTION: FUNCTION, USAGE_DIMENSION_MODEL: MODEL } = billing.UsageDimension;
const { USAGE_PERIOD_DAY: DAY, USAGE_PERIOD_MONTH: MONTH } = billing.UsagePeriod;

const catalog = builtinCatalog(1n);
const priceOf = (model: string) => findModel(catalog, model)!.price!;
/** The two calls of billableEvent: a failed sim-large call that read the prompt, then sim-small. */
const FAILED_CALL = costOf(priceOf('sim-large'), common.Usage.fromPartial({ inputTokens: 1_000n }));
const SERVED_CALL = costOf(
  priceOf('sim-small'),
  common.Usage.fromPartial({ inputTokens: 1_000n, cachedInputTokens: 100n, outputTokens: 300n }),
);

const at = (iso: string) => new Date(iso);

describe('BillingService', () => {
  let deployment: ReportsDeployment;
  const acme = uniqueName('acme');
  const globex = uniqueName('globex');
  let acmeKey: TestKey;
  let globexKey: TestKey;
  let operator: TestKey;

  beforeAll(async () => {
    // Two deliveries, so an event whose catalog version never comes is dead-lettered quickly.
    deployment = await ReportsDeployment.start({ KEEL_BILLING_MAX_DELIVER: '2' });
    acmeKey = analyticsKey(acme);
    globexKey = analyticsKey(globex);
    operator = analyticsKey(uniqueName('operator'), true);
    await deployment.publishKeys([acmeKey, globexKey, operator]);
    await deployment.bill(
      billableEvent({
        tenantId: acme,
        functionName: 'support.answer',
        occurredAt: at('2026-11-28T10:15:00Z'),
      }),
      billableEvent({
        tenantId: acme,
        functionName: 'support.answer',
        occurredAt: at('2026-11-28T10:45:00Z'),
      }),
      billableEvent({
        tenantId: acme,
        functionName: 'search.rank',
        occurredAt: at('2026-11-28T14:05:00Z'),
      }),
      billableEvent({
        tenantId: acme,
        functionName: 'support.answer',
        occurredAt: at('2026-11-29T09:00:00Z'),
      }),
      cacheHitEvent({
        tenantId: acme,
        functionName: 'support.answer',
        occurredAt: at('2026-11-28T11:00:00Z'),
        savedNanoUsd: 5_000n,
        semantic: true,
      }),
      billableEvent({
        tenantId: globex,
        functionName: 'support.answer',
        occurredAt: at('2026-11-28T10:15:00Z'),
      }),
    );
  });

  afterAll(async () => {
    await deployment.stop();
  });

  it('sums the hourly rollups into days by function and model, with totals, cost per inference and cache savings', async () => {
    const reply = await deployment.usage(
      { groupBy: [FUNCTION, MODEL], period: DAY },
      acmeKey.token,
    );

    expect(
      reply.rows.map((row) => [
        row.periodStart?.toISOString().slice(0, 10),
        row.group.function,
        row.group.model,
        row.totals!.inferences,
        row.totals!.calls,
        row.totals!.costNanoUsd,
        row.totals!.cacheHits,
        row.totals!.cacheSavedNanoUsd,
      ]),
    ).toEqual([
      ['2026-11-28', 'search.rank', 'sim-large', 0n, 1n, FAILED_CALL, 0n, 0n],
      ['2026-11-28', 'search.rank', 'sim-small', 1n, 1n, SERVED_CALL, 0n, 0n],
      ['2026-11-28', 'support.answer', 'sim-large', 0n, 2n, 2n * FAILED_CALL, 0n, 0n],
      // Two billed inferences and the cache hit, which called no provider.
      ['2026-11-28', 'support.answer', 'sim-small', 3n, 2n, 2n * SERVED_CALL, 1n, 5_000n],
      ['2026-11-29', 'support.answer', 'sim-large', 0n, 1n, FAILED_CALL, 0n, 0n],
      ['2026-11-29', 'support.answer', 'sim-small', 1n, 1n, SERVED_CALL, 0n, 0n],
    ]);
    const cost = 4n * (FAILED_CALL + SERVED_CALL);
    expect(reply.totals).toEqual(
      billing.UsageTotals.fromPartial({
        inferences: 5n,
        calls: 8n,
        inputTokens: 8_000n,
        cachedInputTokens: 400n,
        outputTokens: 1_200n,
        costNanoUsd: cost,
        costPerInferenceNanoUsd: cost / 5n,
        cacheHits: 1n,
        cacheSavedNanoUsd: 5_000n,
      }),
    );
    expect(reply.unbilled?.count).toBe(0n);
  });

  it('narrows a month report to the hours of the filter, rounded down to the hour', async () => {
    const reply = await deployment.usage(
      {
        filter: { from: at('2026-11-28T10:59:00Z'), to: at('2026-11-28T14:00:00Z') },
        period: MONTH,
      },
      acmeKey.token,
    );
    // From 10:00: both 10 o'clock inferences and the cache hit; 14:05 is past the end.
    expect(reply.rows.map((row) => row.periodStart?.toISOString())).toEqual([
      '2026-11-01T00:00:00.000Z',
    ]);
    expect(reply.totals?.inferences).toBe(3n);
  });

  it('ranks the functions by spend', async () => {
    const reply = await deployment.top({ limit: 1 }, acmeKey.token);
    expect(reply.functions.map((spend) => [spend.functionName, spend.totals?.costNanoUsd])).toEqual(
      [['support.answer', 3n * (FAILED_CALL + SERVED_CALL)]],
    );
  });

  it("refuses a key's report of another tenant, naming that tenant, and lets an operator read it", async () => {
    const refused = deployment.usage({ filter: { tenantId: acme } }, globexKey.token);
    await expect(refused).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining(`tenant '${acme}' is not this API key's tenant`),
    });
    const own = await deployment.usage({}, globexKey.token);
    expect(own.totals?.inferences).toBe(1n);
    const asOperator = await deployment.usage({ filter: { tenantId: acme } }, operator.token);
    expect(asOperator.totals?.inferences).toBe(5n);
  });

  it('refuses a bad grouping, period, range or limit, naming the field', async () => {
    const cases: Array<[Promise<unknown>, string]> = [
      [deployment.usage({ groupBy: [0] }, acmeKey.token), 'group_by[0]'],
      [deployment.usage({ groupBy: [FUNCTION, FUNCTION] }, acmeKey.token), 'group_by[1]'],
      [deployment.usage({ period: 9 as billing.UsagePeriod }, acmeKey.token), 'period'],
      [
        deployment.usage(
          { filter: { from: at('2026-11-28T10:00:00Z'), to: at('2026-11-28T10:30:00Z') } },
          acmeKey.token,
        ),
        'filter.to',
      ],
      [deployment.top({ limit: 101 }, acmeKey.token), 'limit'],
    ];
    for (const [call, field] of cases) {
      await expect(call).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining(field),
      });
    }
  });

  it('keeps the rollups equal to the ledger when one inference is delivered three times', async () => {
    const tenant = uniqueName('initech');
    const event = billableEvent({
      tenantId: tenant,
      functionName: 'f',
      occurredAt: at('2026-11-28T12:00:00Z'),
    });
    await deployment.bill(event, event, event);

    expect(await deployment.ledger.countDocuments({ tenant_id: tenant })).toBe(1);
    const check = await deployment.reconcile({ tenantId: tenant }, operator.token);
    expect(check).toMatchObject({ mismatches: [], repaired: false });
    // The failed call's model and the served model: two rollups.
    expect(check.rollupsChecked).toBe(2n);
    const usage = await deployment.usage({ filter: { tenantId: tenant } }, operator.token);
    expect(usage.totals?.inferences).toBe(1n);
  });

  it('finds a planted mismatch between a rollup and the ledger, and repairs it', async () => {
    const tenant = uniqueName('umbrella');
    await deployment.bill(
      billableEvent({
        tenantId: tenant,
        functionName: 'f',
        occurredAt: at('2026-11-28T12:00:00Z'),
      }),
    );
    const planted = await deployment.rollups.findOneAndUpdate(
      { tenant_id: tenant, model: 'sim-small' },
      { $inc: { cost_nano_usd: 7n, inferences: 1n } },
    );
    expect(planted).not.toBeNull();

    const found = await deployment.reconcile({ tenantId: tenant }, operator.token);
    expect(found.repaired).toBe(false);
    expect(found.mismatches).toEqual([
      {
        rollup: planted!._id,
        rolledUp: expect.objectContaining({ inferences: 2n, costNanoUsd: SERVED_CALL + 7n }),
        ledger: expect.objectContaining({ inferences: 1n, costNanoUsd: SERVED_CALL }),
      },
    ]);

    const repaired = await deployment.reconcile({ tenantId: tenant, repair: true }, operator.token);
    expect(repaired).toMatchObject({ repaired: true, mismatches: [{ rollup: planted!._id }] });
    expect(await deployment.reconcile({ tenantId: tenant }, operator.token)).toMatchObject({
      mismatches: [],
    });
    const usage = await deployment.usage({ filter: { tenantId: tenant } }, operator.token);
    expect(usage.totals?.costNanoUsd).toBe(FAILED_CALL + SERVED_CALL);
  });

  it('counts a call to a model with no price as unpriced, not as free', async () => {
    const tenant = uniqueName('wayne');
    await deployment.bill(
      billableEvent({
        tenantId: tenant,
        functionName: 'f',
        model: 'gpt-9',
        occurredAt: at('2026-11-28T12:00:00Z'),
      }),
    );
    const reply = await deployment.usage(
      { filter: { tenantId: tenant }, groupBy: [MODEL] },
      operator.token,
    );
    expect(
      reply.rows.map((row) => [
        row.group.model,
        row.totals?.unpricedCalls,
        row.totals?.costNanoUsd,
      ]),
    ).toEqual([
      ['gpt-9', 1n, 0n],
      ['sim-large', 0n, FAILED_CALL],
    ]);
    expect(reply.totals?.unpricedCalls).toBe(1n);
  });

  it('lets only an operator reconcile', async () => {
    await expect(deployment.reconcile({}, acmeKey.token)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'only an operator key with the admin scope may reconcile the rollups',
    });
  });

  it('shows an inference billing dead-lettered as unbilled until it is replayed and billed', async () => {
    const tenant = uniqueName('hooli');
    const key = analyticsKey(tenant);
    await deployment.publishKeys([acmeKey, globexKey, operator, key]);
    // Catalog version 7 is not published: retried, then dead-lettered at the delivery limit.
    const event = billableEvent({
      tenantId: tenant,
      functionName: 'support.answer',
      occurredAt: at('2026-11-28T12:00:00Z'),
      catalogVersion: 7n,
    });
    await deployment.bill(event);

    const before = await deployment.usage({}, key.token);
    expect(before.unbilled).toEqual(
      billing.Unbilled.fromPartial({
        count: 1n,
        inferences: [
          {
            inferenceId: event.inferenceId,
            functionName: 'support.answer',
            reason: expect.stringContaining('catalog version 7 is not published yet'),
            occurredAt: event.occurredAt,
          },
        ],
      }),
    );
    expect(before.totals?.inferences).toBe(0n);
    // Another tenant's report does not show it.
    expect((await deployment.usage({}, acmeKey.token)).unbilled?.count).toBe(0n);

    await deployment.publishCatalog(builtinCatalog(7n));
    const [replayed] = await deployment.bus.deadLetters.replayAll({ durable: BILLING_DURABLE });
    await deployment.settledThrough(replayed.streamSeq);

    const after = await eventually(
      async () => {
        const reply = await deployment.usage({}, key.token);
        return reply.totals?.inferences === 1n && reply;
      },
      { what: 'the replayed inference billed' },
    );
    expect(after.unbilled?.count).toBe(0n);
  });
});
