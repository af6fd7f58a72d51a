// Prices over time on real processes: a price change published ahead of its effective time
// reprices the requests that start after it, and only those, in inference and in the ledger;
// and a call to a model put without a price is billed as unpriced and counted.
import { type Bus, connectBus } from '@keel/bus';
import { builtinCatalog, costOf, findModel } from '@keel/catalog';
import { router } from '@keel/contracts';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { eventually, freePort } from '@keel/testing';
import pino from 'pino';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, userMessage, type Clients } from '../support/clients';
import { scrape, valueOf } from '../support/prometheus';

jest.setTimeout(180_000);

// Far enough ahead that the request made before it surely starts before it, on a loaded machine.
const SCHEDULED_AHEAD_MS = 10_000;
const UNPRICED_CALLS = 'keel_billing_unpriced_calls_total';

const simSmall = findModel(builtinCatalog(0n), 'sim-small')!;
const oldPrice = simSmall.price!;
/** Ten times the built-in price of every token class. */
const newPrice = router.ModelPrice.fromPartial({
  inputNanoUsdPerMtok: oldPrice.inputNanoUsdPerMtok * 10n,
  outputNanoUsdPerMtok: oldPrice.outputNanoUsdPerMtok * 10n,
  cachedInputNanoUsdPerMtok: oldPrice.cachedInputNanoUsdPerMtok * 10n,
});

describe('prices over time', () => {
  let cluster: Cluster;
  let clients: Clients;
  let bus: Bus;
  let key: string;
  let billingMetrics: number;

  beforeAll(async () => {
    billingMetrics = await freePort();
    cluster = await startCluster(['router', 'inference']);
    await cluster.start('billing', {
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(billingMetrics),
    });
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'prices-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    key = (await clients.createTenant(cluster.adminKey(), 'acme')).apiKeySecret;
    // The new key reaches inference through the keys snapshot shortly after creation.
    await eventually(() => clients.complete(key, { messages: [userMessage('warm up')] }), {
      what: 'Complete with the new key',
    });
  });

  afterAll(async () => {
    clients?.close();
    await bus?.drain();
    await cluster?.shutdown();
  });

  const ledger = () => cluster.db('billing').collection('ledger');
  const entryOf = (inferenceId: string) =>
    eventually(() => ledger().findOne({ inference_id: inferenceId }), {
      timeoutMs: 30_000,
      what: `the ledger entry of ${inferenceId}`,
    });

  it('bills requests before a scheduled price change at the old price and after it at the new, without rewriting history', async () => {
    const before = (await clients.getCatalog(cluster.adminKey())).catalog!;
    const effectiveAt = new Date(Date.now() + SCHEDULED_AHEAD_MS);
    const put = await clients.putModel(
      cluster.adminKey(),
      { ...simSmall, price: newPrice },
      effectiveAt,
    );
    const scheduled = put.catalog!;
    expect(scheduled.version).toBeGreaterThan(before.version);
    expect(scheduled.effectiveAt).toEqual(effectiveAt);
    expect(findModel(scheduled, 'sim-small')?.price).toEqual(newPrice);
    // Until its time, the catalog in effect is the one before.
    expect((await clients.getCatalog(cluster.adminKey())).catalog?.version).toBe(before.version);

    const early = await clients.complete(key, { messages: [userMessage('Before the change?')] });
    // The reply came back before the effective time, so the request started before it.
    expect(Date.now()).toBeLessThan(effectiveAt.getTime());
    expect(early.costNanoUsd).toBe(costOf(oldPrice, early.usage!));
    const earlyEntry = await entryOf(early.inferenceId);
    expect(earlyEntry).toMatchObject({
      catalog_version: before.version,
      total_nano_usd: costOf(oldPrice, early.usage!),
    });

    // The change takes effect on the clock, with no new snapshot published at that time.
    await eventually(() => Date.now() >= effectiveAt.getTime(), {
      timeoutMs: SCHEDULED_AHEAD_MS * 2,
      what: 'the effective time',
    });
    const late = await clients.complete(key, { messages: [userMessage('After the change?')] });
    const newCost = costOf(newPrice, late.usage!);
    expect(newCost).toBeGreaterThan(costOf(oldPrice, late.usage!));
    expect(late.costNanoUsd).toBe(newCost);
    expect(await entryOf(late.inferenceId)).toMatchObject({
      catalog_version: scheduled.version,
      total_nano_usd: newCost,
      line_items: [expect.objectContaining({ cost_nano_usd: newCost, unpriced: false })],
    });

    const { policy } = await openSnapshotBuckets(bus);
    const snapshot = router.PolicySnapshot.decode((await policy.get(SNAPSHOT_KEY))!.value);
    expect(snapshot.catalog?.version).toBe(before.version);
    expect(snapshot.scheduledCatalogs.map((catalog) => catalog.version)).toEqual([
      scheduled.version,
    ]);
    // The entry billed before the change is as it was.
    expect(await ledger().findOne({ inference_id: early.inferenceId })).toEqual(earlyEntry);
  });

  it('records a call to a model without a price as unpriced, never free, and counts it', async () => {
    const put = await clients.putModel(cluster.adminKey(), {
      ...simSmall,
      name: 'sim-unpriced',
      price: undefined,
    });
    expect(findModel(put.catalog!, 'sim-unpriced')?.price).toBeUndefined();
    const counted = async () =>
      valueOf(await scrape(billingMetrics), UNPRICED_CALLS, {
        gen_ai_response_model: 'sim-unpriced',
      });
    const countedBefore = await counted();

    const reply = await eventually(
      () => clients.complete(key, { model: 'sim-unpriced', messages: [userMessage('Price?')] }),
      { what: 'the new model to reach inference' },
    );
    expect(reply.model).toBe('sim-unpriced');
    expect(reply.usage!.inputTokens).toBeGreaterThan(0n);
    expect(reply.costNanoUsd).toBe(0n);
    expect(await entryOf(reply.inferenceId)).toMatchObject({
      catalog_version: put.catalog!.version,
      unpriced: true,
      total_nano_usd: 0n,
      line_items: [expect.objectContaining({ model: 'sim-unpriced', unpriced: true })],
    });
    await eventually(async () => (await counted()) === countedBefore + 1, {
      what: 'the unpriced call counted',
    });
  });
});
