// Budget alerts on the real servers: billing counts each billed inference into its budgets'
// periods and publishes `keel.billing.budget` once per budget, period and threshold.
import { type Bus, connectBus } from '@keel/bus';
import { loadConfig } from '@keel/config';
import { billing, events, router, streamOf, subjectOf } from '@keel/contracts';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { type BillingApp, startBilling } from './app';
import { configShape } from './config';
import { BUDGET_ALERTS_DURABLE } from './consumers/budget-alerts';

const tenantId = uniqueName('tenant');
const occurredAt = new Date(Date.UTC(2026, 11, 14, 9, 30));
const budgets = [
  router.Budget.fromPartial({
    tenantId,
    budgetName: 'monthly-cap',
    period: router.BudgetPeriod.BUDGET_PERIOD_MONTH,
    limitNanoUsd: 1_000n,
    alertPercents: [50, 80, 100],
    action: router.BudgetAction.BUDGET_ACTION_REFUSE,
  }),
  router.Budget.fromPartial({
    tenantId,
    budgetName: 'other-fn',
    functionName: 'other',
    period: router.BudgetPeriod.BUDGET_PERIOD_DAY,
    limitNanoUsd: 100n,
    alertPercents: [10],
  }),
];

describe('budget alerts', () => {
  const prefix = uniqueName('bud');
  let bus: Bus;
  let app: BillingApp;

  beforeAll(async () => {
    const { natsUrl, mongoUrl } = testServers();
    bus = await connectBus({
      servers: natsUrl,
      name: 'budget-alerts-test',
      prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.ensureStreams(['inference', 'billing']);
    const buckets = await openSnapshotBuckets(bus);
    await buckets.policy.put(
      SNAPSHOT_KEY,
      router.PolicySnapshot.encode(
        router.PolicySnapshot.fromPartial({
          catalog: { version: 1n },
          tenants: [{ tenantId, defaultFunctionName: 'support.answer', budgets }],
        }),
      ).finish(),
    );
    await buckets.keys.put(
      SNAPSHOT_KEY,
      router.KeysSnapshot.encode(router.KeysSnapshot.fromPartial({})).finish(),
    );
    app = await startBilling(
      loadConfig(configShape, {
        NATS_URL: natsUrl,
        MONGO_URL: mongoUrl,
        KEEL_BUS_PREFIX: prefix,
        KEEL_DB_PREFIX: prefix,
        KEEL_BIND_HOST: '127.0.0.1',
        KEEL_BILLING_PORT: '0',
        KEEL_BILLING_ACK_WAIT_MS: '1000',
      }),
      pino({ level: 'silent' }),
    );
  });

  afterAll(async () => {
    await app.stop();
    await bus.drain();
  });

  /** Announces a billed inference as the ledger does; returns its stream sequence. */
  async function billed(
    inferenceId: string,
    totalNanoUsd: bigint,
    functionName = 'support.answer',
  ) {
    const message = billing.InferenceBilled.fromPartial({
      entry: { tenantId, inferenceId, functionName, totalNanoUsd, occurredAt },
      occurredAt,
    });
    // A distinct message id each time: a redelivered announcement is not de-duplicated by NATS.
    const { seq } = await bus.publish(events.inferenceBilled, message, {
      msgId: uniqueName('billed'),
    });
    return seq;
  }

  async function countedThrough(seq: number): Promise<void> {
    const jsm = await jetstreamManager(bus.connection);
    await eventually(
      async () => {
        const info = await jsm.consumers.info(
          streamOf('billing', prefix).name,
          BUDGET_ALERTS_DURABLE,
        );
        return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0;
      },
      { what: `the budget alerts consumer to ack message ${seq}` },
    );
  }

  async function alertsPublished(): Promise<billing.BudgetThresholdReached[]> {
    const jsm = await jetstreamManager(bus.connection);
    const subject = subjectOf(events.budgetThresholdReached, prefix);
    const alerts: billing.BudgetThresholdReached[] = [];
    const info = await jsm.streams.info(streamOf('billing', prefix).name, {
      subjects_filter: subject,
    });
    if (!info.state.subjects?.[subject]) return alerts;
    for (let seq = 1; seq <= info.state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(streamOf('billing', prefix).name, { seq });
      if (message?.subject === subject) {
        alerts.push(billing.BudgetThresholdReached.decode(message.data));
      }
    }
    return alerts;
  }

  it('publishes each threshold once, when the ledger’s spend in the period reaches it, however often an inference is announced', async () => {
    await billed('i1', 300n);
    await countedThrough(await billed('i2', 250n));
    // 55%: the 50% alert.
    expect((await alertsPublished()).map((alert) => alert.percent)).toEqual([50]);

    // i2 again (redelivered or replayed) counts nothing: still 55%, below 80%.
    await countedThrough(await billed('i2', 250n));
    expect((await alertsPublished()).map((alert) => alert.percent)).toEqual([50]);

    // Another function's spend counts for the tenant-wide budget (80%) and its own.
    await billed('i3', 250n, 'other');
    await billed('i4', 300n);
    await countedThrough(await billed('i5', 100n));
    const alerts = await alertsPublished();
    expect(alerts.map((alert) => [alert.budget?.budgetName, alert.percent])).toEqual([
      ['monthly-cap', 50],
      ['monthly-cap', 80],
      ['other-fn', 10],
      ['monthly-cap', 100],
    ]);
    expect(alerts.find((alert) => alert.percent === 100)).toMatchObject({
      spentNanoUsd: 1_100n,
      periodStart: new Date(Date.UTC(2026, 11, 1)),
    });
  });
});
