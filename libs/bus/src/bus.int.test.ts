import { durableNameOf, events, inference, streamOf, subjectOf } from '@keel/contracts';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { type Collection, MongoClient } from 'mongodb';
import pino from 'pino';
import { type Bus, type BusLogger, type Delivery, connectBus } from './index';

// Integration tests on the real NATS and Mongo servers: each test has its own bus prefix
// (so its own stream and durable), and all share one database with an idempotent handler.

const contract = events.inferenceCompleted;
const durable = durableNameOf('billing', contract);
const ACK_WAIT_MS = 1000;

interface InferenceDocument {
  tenant_id: string;
  inference_id: string;
  cost_nano_usd: bigint;
}

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

let mongo: MongoClient;
let databaseName: string;
let inferences: Collection<InferenceDocument>;
const buses: Bus[] = [];

beforeAll(async () => {
  mongo = await MongoClient.connect(testServers().mongoUrl);
  databaseName = uniqueName('bus');
  inferences = mongo.db(databaseName).collection<InferenceDocument>('inferences');
  await inferences.createIndex({ tenant_id: 1, inference_id: 1 }, { unique: true });
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.drain()));
});

afterAll(async () => {
  await mongo.db(databaseName).dropDatabase();
  await mongo.close();
});

function captureLogs(): { logger: BusLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function openBus(prefix: string, logger: BusLogger = captureLogs().logger): Promise<Bus> {
  const bus = await connectBus({
    servers: testServers().natsUrl,
    name: 'bus-test',
    prefix,
    logger,
  });
  buses.push(bus);
  await bus.ensureStreams(['inference']);
  return bus;
}

/** The idempotent write a consumer makes: one document per inference, however many deliveries. */
async function storeInference(message: inference.InferenceCompleted): Promise<void> {
  try {
    await inferences.insertOne({
      tenant_id: message.tenantId,
      inference_id: message.inferenceId,
      cost_nano_usd: message.costNanoUsd,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 11000) throw error;
  }
}

function storedCount(message: inference.InferenceCompleted): Promise<number> {
  return inferences.countDocuments({
    tenant_id: message.tenantId,
    inference_id: message.inferenceId,
  });
}

function completed(
  fields: Partial<inference.InferenceCompleted> = {},
): inference.InferenceCompleted {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inference'),
    tenantId: uniqueName('tenant'),
    functionName: 'support.answer',
    variantName: 'default',
    model: 'sim-small',
    costNanoUsd: 1_500n,
    ...fields,
  });
}

async function consumerInfo(bus: Bus) {
  const jsm = await jetstreamManager(bus.connection);
  return jsm.consumers.info(streamOf('inference', bus.prefix).name, durable);
}

/** Resolves once the consumer has settled everything up to `seq`: nothing awaits an ack. */
function settledThrough(bus: Bus, seq: number) {
  return eventually(
    async () => {
      const info = await consumerInfo(bus);
      return info.delivered.stream_seq >= seq && info.num_ack_pending === 0 && info;
    },
    { what: `the consumer to settle message ${seq}` },
  );
}

/** Waits past the ack wait, after which the server would have redelivered an unsettled message. */
function pastAckWait(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS * 1.5));
}

describe('ensureStreams', () => {
  it('creates the domain stream from the contract, and brings a changed one back to it', async () => {
    const bus = await openBus(uniqueName('t'));
    const settings = streamOf('inference', bus.prefix);
    const jsm = await jetstreamManager(bus.connection);
    await jsm.streams.update(settings.name, { max_age: 3600 * 1e9, duplicate_window: 60 * 1e9 });

    await bus.ensureStreams(['inference']);

    const { config } = await jsm.streams.info(settings.name);
    expect(config).toMatchObject({
      subjects: settings.subjects,
      storage: 'file',
      retention: 'limits',
      max_age: settings.maxAgeMs * 1e6,
      duplicate_window: settings.duplicateWindowMs * 1e6,
    });
  });
});

describe('consume', () => {
  it('updates an existing durable to the ack wait it is given, and keeps the server max deliver unlimited', async () => {
    const bus = await openBus(uniqueName('t'));
    const handler = async () => {};
    const first = await bus.consume(contract, { durable, ackWaitMs: 1000, handler });
    await first.stop();

    await bus.consume(contract, { durable, ackWaitMs: 2000, maxDeliver: 5, handler });

    const { config } = await consumerInfo(bus);
    expect(config).toMatchObject({
      durable_name: durable,
      ack_policy: 'explicit',
      filter_subject: subjectOf(contract, bus.prefix),
      ack_wait: 2000 * 1e6,
      // The bus enforces maxDeliver, so a message nak'ed at its limit still comes back.
      max_deliver: -1,
    });
  });
});

describe('publish and consume', () => {
  it('delivers a message to a durable consumer once and acks it after the handler', async () => {
    const bus = await openBus(uniqueName('t'));
    const deliveries: Delivery[] = [];
    await bus.consume(contract, {
      durable,
      ackWaitMs: ACK_WAIT_MS,
      handler: async (message, delivery) => {
        await storeInference(message);
        deliveries.push(delivery);
      },
    });
    const message = completed();

    const { seq, duplicate } = await bus.publish(contract, message, { msgId: message.inferenceId });
    await settledThrough(bus, seq);
    await pastAckWait();

    const info = await consumerInfo(bus);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(seq);
    expect(info.delivered.consumer_seq).toBe(1);
    expect(duplicate).toBe(false);
    expect(deliveries).toEqual([
      {
        subject: subjectOf(contract, bus.prefix),
        streamSeq: seq,
        deliveryCount: 1,
        msgId: message.inferenceId,
      },
    ]);
    expect(await storedCount(message)).toBe(1);
  });

  it('redelivers a message whose handler stored but died before acking, without doubling its effect', async () => {
    const prefix = uniqueName('t');
    const dyingLogs = captureLogs();
    const dying = await openBus(prefix, dyingLogs.logger);
    const message = completed();
    let markStored!: () => void;
    const stored = new Promise<void>((resolve) => (markStored = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const dyingSubscription = await dying.consume(contract, {
      durable,
      ackWaitMs: ACK_WAIT_MS,
      handler: async (received) => {
        await storeInference(received);
        markStored();
        await released;
      },
    });

    await dying.publish(contract, message, { msgId: message.inferenceId });
    await stored;
    // The process dies between its write and its ack.
    await dying.connection.close();

    const survivor = await openBus(prefix);
    const redeliveries: Delivery[] = [];
    await survivor.consume(contract, {
      durable,
      ackWaitMs: ACK_WAIT_MS,
      handler: async (received, delivery) => {
        await storeInference(received);
        redeliveries.push(delivery);
      },
    });

    await eventually(() => redeliveries.length > 0, { what: 'the redelivery' });
    const info = await settledThrough(survivor, redeliveries[0].streamSeq);
    expect(redeliveries).toHaveLength(1);
    expect(redeliveries[0].deliveryCount).toBe(2);
    expect(info.num_redelivered).toBe(0);
    expect(await storedCount(message)).toBe(1);

    release();
    await dyingSubscription.stop();
    expect(dyingLogs.lines).toContainEqual(
      expect.objectContaining({ msg: 'ack failed: the message will be redelivered', durable }),
    );
  });

  it('drops a republished message with the same Nats-Msg-Id, and absorbs one with a new id', async () => {
    const bus = await openBus(uniqueName('t'));
    const deliveries: Delivery[] = [];
    await bus.consume(contract, {
      durable,
      ackWaitMs: ACK_WAIT_MS,
      handler: async (message, delivery) => {
        await storeInference(message);
        deliveries.push(delivery);
      },
    });
    const message = completed();

    const first = await bus.publish(contract, message, { msgId: 'first-attempt' });
    const sameId = await bus.publish(contract, message, { msgId: 'first-attempt' });
    const newId = await bus.publish(contract, message, { msgId: 'second-attempt' });
    await settledThrough(bus, newId.seq);

    expect(first.duplicate).toBe(false);
    expect(sameId).toEqual({ seq: first.seq, duplicate: true });
    expect(newId).toEqual({ seq: first.seq + 1, duplicate: false });
    // Handled concurrently: either may finish first.
    expect(deliveries.map((delivery) => delivery.msgId).sort()).toEqual([
      'first-attempt',
      'second-attempt',
    ]);
    expect(await storedCount(message)).toBe(1);
  });

  it('naks a message whose handler fails for now, and retries it with a growing delay until it succeeds', async () => {
    const { logger, lines } = captureLogs();
    const bus = await openBus(uniqueName('t'), logger);
    const attempts: number[] = [];
    const deliveredAt: number[] = [];
    const delays = (deliveryCount: number) => 50 * deliveryCount;
    await bus.consume(contract, {
      durable,
      ackWaitMs: ACK_WAIT_MS,
      nakDelayMs: delays,
      handler: async (message, delivery) => {
        deliveredAt.push(performance.now());
        attempts.push(delivery.deliveryCount);
        if (delivery.deliveryCount < 3) throw new Error('store unavailable');
        await storeInference(message);
      },
    });
    const message = completed();

    const { seq } = await bus.publish(contract, message, { msgId: message.inferenceId });
    await eventually(() => attempts.length === 3, { what: 'the third delivery' });
    const info = await settledThrough(bus, seq);

    expect(info.ack_floor.stream_seq).toBe(seq);
    expect(attempts).toEqual([1, 2, 3]);
    expect(deliveredAt[1] - deliveredAt[0]).toBeGreaterThanOrEqual(delays(1));
    expect(deliveredAt[2] - deliveredAt[1]).toBeGreaterThanOrEqual(delays(2));
    expect(await storedCount(message)).toBe(1);
    const retries = lines.filter(
      (line) => line.msg === 'handler failed: the message will be redelivered',
    );
    expect(retries).toEqual([
      expect.objectContaining({ seq, durable, delivery_count: 1, delay_ms: 50 }),
      expect.objectContaining({ seq, durable, delivery_count: 2, delay_ms: 100 }),
    ]);
    expect(retries[0].err).toMatchObject({ message: 'store unavailable' });
  });

  it('runs at most `concurrency` handlers at once', async () => {
    const bus = await openBus(uniqueName('t'));
    const messages = Array.from({ length: 6 }, () => completed());
    for (const message of messages) {
      await bus.publish(contract, message, { msgId: message.inferenceId });
    }
    let running = 0;
    let mostRunning = 0;
    const handled: string[] = [];

    await bus.consume(contract, {
      durable,
      concurrency: 2,
      handler: async (message) => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        handled.push(message.inferenceId);
        running -= 1;
      },
    });
    await eventually(() => handled.length === messages.length, { what: 'every message handled' });

    expect(mostRunning).toBe(2);
    expect(handled.sort()).toEqual(messages.map((message) => message.inferenceId).sort());
  });

  it('delivers each message once when messages wait behind a busy handler', async () => {
    const bus = await openBus(uniqueName('t'));
    const messages = Array.from({ length: 4 }, () => completed());
    let last = 0;
    for (const message of messages) {
      last = (await bus.publish(contract, message, { msgId: message.inferenceId })).seq;
    }
    const deliveries: Delivery[] = [];

    await bus.consume(contract, {
      durable,
      concurrency: 1,
      ackWaitMs: ACK_WAIT_MS,
      handler: async (message, delivery) => {
        deliveries.push(delivery);
        await new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS * 0.7));
        await storeInference(message);
      },
    });
    await settledThrough(bus, last);
    await pastAckWait();

    const info = await consumerInfo(bus);
    expect(info.num_redelivered).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    expect(deliveries.map((delivery) => delivery.deliveryCount)).toEqual([1, 1, 1, 1]);
    expect(deliveries.map((delivery) => delivery.msgId).sort()).toEqual(
      messages.map((message) => message.inferenceId).sort(),
    );
  });

  it('keeps a handler running longer than the ack wait from being redelivered', async () => {
    const bus = await openBus(uniqueName('t'));
    const deliveries: Delivery[] = [];
    await bus.consume(contract, {
      durable,
      ackWaitMs: ACK_WAIT_MS,
      handler: async (message, delivery) => {
        deliveries.push(delivery);
        await new Promise((resolve) => setTimeout(resolve, ACK_WAIT_MS * 2.5));
        await storeInference(message);
      },
    });
    const message = completed();

    const { seq } = await bus.publish(contract, message, { msgId: message.inferenceId });
    await settledThrough(bus, seq);
    await pastAckWait();

    const info = await consumerInfo(bus);
    expect(info.num_redelivered).toBe(0);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].deliveryCount).toBe(1);
    expect(await storedCount(message)).toBe(1);
  });

  it('re-creates a durable deleted on the server and goes on consuming, and says so', async () => {
    const { logger, lines } = captureLogs();
    const bus = await openBus(uniqueName('t'), logger);
    const received: string[] = [];
    await bus.consume(contract, {
      durable,
      ackWaitMs: ACK_WAIT_MS,
      handler: async (message) => {
        received.push(message.inferenceId);
      },
    });
    const before = completed();
    await bus.publish(contract, before, { msgId: before.inferenceId });
    await eventually(() => received.includes(before.inferenceId), { what: 'the first message' });

    const jsm = await jetstreamManager(bus.connection);
    await jsm.consumers.delete(streamOf('inference', bus.prefix).name, durable);
    const after = completed();
    await bus.publish(contract, after, { msgId: after.inferenceId });

    await eventually(() => received.includes(after.inferenceId), {
      what: 'the message published after the durable was deleted',
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: pino.levels.values.error,
        msg: 'consumer stopped pulling messages: re-creating the durable and resubscribing',
        durable,
      }),
    );
    expect((await consumerInfo(bus)).config.durable_name).toBe(durable);
  });

  it('lets a handler in flight finish and ack when the bus drains', async () => {
    const prefix = uniqueName('t');
    const bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'bus-test',
      prefix,
      logger: captureLogs().logger,
    });
    buses.push(bus);
    await bus.ensureStreams(['inference']);
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const message = completed();
    await bus.consume(contract, {
      durable,
      handler: async (received) => {
        markStarted();
        await new Promise((resolve) => setTimeout(resolve, 200));
        await storeInference(received);
      },
    });

    const { seq } = await bus.publish(contract, message, { msgId: message.inferenceId });
    await started;
    await bus.drain();

    expect(bus.connection.isClosed()).toBe(true);
    expect(await storedCount(message)).toBe(1);
    const observer = await openBus(prefix);
    const info = await consumerInfo(observer);
    expect(info.ack_floor.stream_seq).toBe(seq);
    expect(info.num_ack_pending).toBe(0);
  });

  it('carries a 2^62 int64 field through the bus exactly', async () => {
    const bus = await openBus(uniqueName('t'));
    const received: inference.InferenceCompleted[] = [];
    await bus.consume(contract, {
      durable,
      handler: async (message) => {
        received.push(message);
      },
    });
    const message = completed({ costNanoUsd: 2n ** 62n, policyVersion: 2n ** 62n + 1n });

    await bus.publish(contract, message, { msgId: message.inferenceId });
    await eventually(() => received.length === 1, { what: 'the delivery' });

    expect(received[0].costNanoUsd).toBe(4_611_686_018_427_387_904n);
    expect(received[0].policyVersion).toBe(4_611_686_018_427_387_905n);
    expect(received[0]).toEqual(message);
  });
});
