// Billing is SIGKILLed between a ledger write and its ack with hundreds of events in flight;
// after a restart, and an event republished under another message id, every inference has
// exactly one ledger document, the messages the killed process held were delivered again, and
// the usage rollups equal the ledger.
import { connectBus, type Bus } from '@keel/bus';
import { billing, durableNameOf, events, inference, streamOf } from '@keel/contracts';
import { billingClient, call } from '@keel/kit';
import { eventually } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, userMessage, type Clients } from '../support/clients';

jest.setTimeout(180_000);

const INFERENCES = 300;
const KILL_AFTER_WRITES = 40;
// Messages delivered to the killed process come back after the ack wait; keep it short.
// Small batches, so the kill falls early, with most events still to bill.
const ACK_WAIT = { KEEL_BILLING_ACK_WAIT_MS: '3000', KEEL_BILLING_MAX_BATCH: '16' };

describe('billing crash recovery', () => {
  let cluster: Cluster;
  let clients: Clients;
  let bus: Bus;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'billing-crash-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    clients?.close();
    await bus?.drain();
    await cluster?.shutdown();
  });

  it('leaves exactly one ledger document per inference, redelivers what the killed process held, and repairs the rollups', async () => {
    const tenant = await clients.createTenant(cluster.adminKey(), 'initech');
    const key = tenant.apiKeySecret;
    const costs = new Map<string, bigint>();
    const ask = (i: number) =>
      clients.complete(key, { messages: [userMessage(`Question number ${i}?`)] });
    // The first call waits for the new key to reach inference; the others must just succeed.
    const firstReply = await eventually(() => ask(0), { what: 'the first Complete' });
    costs.set(firstReply.inferenceId, firstReply.costNanoUsd);
    for (let i = 1; i < INFERENCES; i++) {
      const reply = await ask(i);
      costs.set(reply.inferenceId, reply.costNanoUsd);
    }
    const jsm = await jetstreamManager(bus.connection);
    const stream = streamOf('inference', cluster.prefix).name;
    await eventually(async () => (await jsm.streams.info(stream)).state.messages === INFERENCES, {
      what: 'every InferenceCompleted on the stream',
    });

    // Every event is in flight when billing starts; it kills itself after a ledger write,
    // before that message's ack.
    await cluster
      .start('billing', {
        ...ACK_WAIT,
        KEEL_BILLING_FAULT_KILL_AFTER_WRITES: String(KILL_AFTER_WRITES),
      })
      .catch(() => undefined);
    expect(await cluster.exited('billing')).toBe('SIGKILL');
    const ledger = cluster.db('billing').collection('ledger');
    const writtenBeforeCrash = await ledger.countDocuments();
    expect(writtenBeforeCrash).toBeGreaterThanOrEqual(KILL_AFTER_WRITES);
    expect(INFERENCES - writtenBeforeCrash).toBeGreaterThanOrEqual(200);

    await cluster.start('billing', ACK_WAIT);
    const first = await jsm.streams.getMessage(stream, { seq: 1 });
    const event = inference.InferenceCompleted.decode(first!.data);
    const republished = await bus.publish(events.inferenceCompleted, event, {
      msgId: `${event.inferenceId}:republished`,
    });
    expect(republished.duplicate).toBe(false);

    await eventually(async () => (await ledger.countDocuments()) === INFERENCES, {
      timeoutMs: 60_000,
      what: 'a ledger document for every inference',
    });
    // The republished event is absorbed, not added: wait until billing has acked it too.
    const durable = durableNameOf('billing', events.inferenceCompleted);
    await eventually(
      async () => {
        const info = await jsm.consumers.info(stream, durable);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 30_000, what: 'billing caught up' },
    );
    const documents = await ledger.find({}).toArray();
    expect(documents).toHaveLength(INFERENCES);
    expect(new Set(documents.map((d) => d.inference_id)).size).toBe(INFERENCES);
    for (const document of documents) {
      expect(document.total_nano_usd).toBe(costs.get(document.inference_id));
    }

    // The kill fell between a write and its ack: messages the dead process had written (and
    // never acked) were delivered again, so deliveries exceed the messages on the stream.
    const info = await jsm.consumers.info(stream, durable);
    expect(info.delivered.consumer_seq).toBeGreaterThan(INFERENCES + 1);

    // The batch the kill interrupted was added to the rollups once, after the restart.
    const client = billingClient(cluster.address('billing'));
    const usage = await call<billing.GetUsageResponse>(cluster.adminKey(), (metadata, callback) =>
      client.getUsage(
        billing.GetUsageRequest.fromPartial({ filter: { tenantId: tenant.tenant!.tenantId } }),
        metadata,
        callback,
      ),
    );
    expect(usage.totals?.inferences).toBe(BigInt(INFERENCES));
    expect(usage.totals?.costNanoUsd).toBe([...costs.values()].reduce((sum, c) => sum + c, 0n));
    const check = await call<billing.ReconcileResponse>(cluster.adminKey(), (metadata, callback) =>
      client.reconcile(billing.ReconcileRequest.fromPartial({}), metadata, callback),
    );
    client.close();
    expect(check.mismatches).toEqual([]);
    expect(check.rollupsChecked).toBeGreaterThan(0n);
  });
});
