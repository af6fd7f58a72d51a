import {
  deadLetterStreamOf,
  durableNameOf,
  events,
  inference,
  streamOf,
  subjectOf,
} from '@keel/contracts';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import pino from 'pino';
import { ensureDeadLetterStream } from './dead-letters';
import { type Bus, type BusLogger, type Delivery, PoisonMessageError, connectBus } from './index';

// Dead letters on the real NATS server: each test has its own bus prefix, so its own
// streams, durable and dead-letter stream.

const contract = events.inferenceCompleted;
const durable = durableNameOf('billing', contract);
const ACK_WAIT_MS = 1000;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** Collects what the bus's counters hold, on demand. */
class TestMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
const metricReader = new TestMetricReader();
const buses: Bus[] = [];

beforeAll(() => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.drain()));
});

afterAll(() => {
  metrics.disable();
});

function captureLogs(): { logger: BusLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function openBus(logger: BusLogger = captureLogs().logger): Promise<Bus> {
  const bus = await connectBus({
    servers: testServers().natsUrl,
    name: 'dead-letter-test',
    prefix: uniqueName('t'),
    logger,
  });
  buses.push(bus);
  await bus.ensureStreams(['inference']);
  return bus;
}

function completed(fields: Partial<inference.InferenceCompleted> = {}) {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inference'),
    tenantId: uniqueName('tenant'),
    functionName: 'support.answer',
    model: 'sim-small',
    ...fields,
  });
}

/** Publishes raw bytes as a producer in another trace would: with a traceparent header. */
async function publishTraced(bus: Bus, data: Uint8Array, msgId: string) {
  const traced = headers();
  traced.set('traceparent', TRACEPARENT);
  return jetstream(bus.connection).publish(subjectOf(contract, bus.prefix), data, {
    msgID: msgId,
    headers: traced,
  });
}

/** Resolves once the consumer has settled everything up to `seq`: nothing awaits an ack. */
async function settledThrough(bus: Bus, seq: number) {
  const jsm = await jetstreamManager(bus.connection);
  return eventually(
    async () => {
      const info = await jsm.consumers.info(streamOf('inference', bus.prefix).name, durable);
      return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0 && info;
    },
    { what: `the consumer to settle message ${seq}` },
  );
}

/** The sum of a bus counter's points whose attributes include `attributes`. */
async function counted(name: string, attributes: Record<string, string>): Promise<number> {
  const { resourceMetrics } = await metricReader.collect();
  let total = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        const matches = Object.entries(attributes).every(
          ([key, value]) => point.attributes[key] === value,
        );
        if (matches) total += point.value as number;
      }
    }
  }
  return total;
}

it('moves a message that does not decode, or that its handler calls poison, to the dead-letter stream with its reason, then terminates it', async () => {
  const { logger, lines } = captureLogs();
  const bus = await openBus(logger);
  const subject = subjectOf(contract, bus.prefix);
  const handled: string[] = [];
  await bus.consume(contract, {
    durable,
    ackWaitMs: ACK_WAIT_MS,
    handler: async (message) => {
      handled.push(message.functionName);
      if (message.functionName === 'no.such.function') {
        throw new PoisonMessageError('function no.such.function does not exist');
      }
    },
  });

  const garbage = await publishTraced(bus, Uint8Array.of(0xff, 0xff), 'garbage');
  const poisonMessage = completed({ functionName: 'no.such.function' });
  const poison = await bus.publish(contract, poisonMessage, { msgId: 'poison' });
  const healthy = await bus.publish(contract, completed(), { msgId: 'healthy' });
  const info = await settledThrough(bus, healthy.seq);
  const letters = await eventually(async () => {
    const listed = await bus.deadLetters.list();
    return listed.length === 2 && listed;
  });

  expect(info.num_redelivered).toBe(0);
  expect(info.delivered.consumer_seq).toBe(3);
  expect(handled.sort()).toEqual(['no.such.function', 'support.answer']);
  const common = { durable, subject, stream: streamOf('inference', bus.prefix).name };
  const found = letters
    .map((letter) => ({ ...letter, payload: Buffer.from(letter.payload) }))
    .sort((a, b) => a.streamSeq - b.streamSeq);
  expect(found).toEqual([
    {
      ...common,
      seq: expect.any(Number),
      streamSeq: garbage.seq,
      msgId: 'garbage',
      deliveryCount: 1,
      reasonKind: 'undecodable',
      reason: expect.stringMatching(/^payload does not decode as inference\.completed: /),
      deadLetteredAt: expect.any(Date),
      payload: Buffer.from([0xff, 0xff]),
    },
    {
      ...common,
      seq: expect.any(Number),
      streamSeq: poison.seq,
      msgId: 'poison',
      deliveryCount: 1,
      reasonKind: 'poison',
      reason: 'function no.such.function does not exist',
      deadLetteredAt: expect.any(Date),
      payload: Buffer.from(inference.InferenceCompleted.encode(poisonMessage).finish()),
    },
  ]);
  const jsm = await jetstreamManager(bus.connection);
  const stored = await jsm.streams.getMessage(deadLetterStreamOf(bus.prefix).name, {
    seq: found[0].seq,
  });
  expect(stored?.subject).toBe(`${bus.prefix}.deadletter.${durable}`);
  expect(stored?.header.get('traceparent')).toBe(TRACEPARENT);
  expect(lines.filter((line) => line.msg === 'message moved to the dead-letter stream')).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ seq: garbage.seq, durable, reason_kind: 'undecodable' }),
      expect.objectContaining({ seq: poison.seq, durable, reason_kind: 'poison' }),
    ]),
  );
  const attributes = { 'messaging.destination.name': subject };
  expect(
    await counted('keel.bus.dead_letters', {
      ...attributes,
      'messaging.consumer.group.name': durable,
      'keel.dead_letter.reason_kind': 'undecodable',
    }),
  ).toBe(1);
  expect(
    await counted('keel.bus.dead_letters', {
      ...attributes,
      'keel.dead_letter.reason_kind': 'poison',
    }),
  ).toBe(1);
  expect(await counted('keel.bus.redeliveries', attributes)).toBe(0);
});

it('moves a message still failing on its last allowed delivery to the dead-letter stream', async () => {
  const bus = await openBus();
  const attempts: number[] = [];
  await bus.consume(contract, {
    durable,
    ackWaitMs: ACK_WAIT_MS,
    maxDeliver: 3,
    nakDelayMs: () => 50,
    handler: async (_message, delivery) => {
      attempts.push(delivery.deliveryCount);
      throw new Error('catalog version 9 is not published yet');
    },
  });

  const { seq } = await bus.publish(contract, completed(), { msgId: 'doomed' });
  const info = await settledThrough(bus, seq);
  const [letter] = await bus.deadLetters.list({ durable });

  expect(attempts).toEqual([1, 2, 3]);
  expect(info.num_pending).toBe(0);
  expect(letter).toMatchObject({
    streamSeq: seq,
    msgId: 'doomed',
    deliveryCount: 3,
    reasonKind: 'delivery-limit',
    reason: 'failed on delivery 3 of at most 3: catalog version 9 is not published yet',
  });
  const subject = subjectOf(contract, bus.prefix);
  expect(
    await counted('keel.bus.redeliveries', {
      'messaging.destination.name': subject,
      'messaging.consumer.group.name': durable,
    }),
  ).toBe(2);
  expect(
    await counted('keel.bus.dead_letters', {
      'messaging.destination.name': subject,
      'keel.dead_letter.reason_kind': 'delivery-limit',
    }),
  ).toBe(1);
});

it('redelivers a message whose dead letter cannot be stored, and stores it once the dead-letter stream is back', async () => {
  const { logger, lines } = captureLogs();
  const bus = await openBus(logger);
  const deliveries: Delivery[] = [];
  await bus.consume(contract, {
    durable,
    ackWaitMs: ACK_WAIT_MS,
    nakDelayMs: () => 50,
    handler: async (_message, delivery) => {
      deliveries.push(delivery);
      throw new PoisonMessageError('tenant_id is missing');
    },
  });
  const jsm = await jetstreamManager(bus.connection);
  await jsm.streams.delete(deadLetterStreamOf(bus.prefix).name);

  const { seq } = await bus.publish(contract, completed(), { msgId: 'kept' });
  await eventually(() => deliveries.length >= 3, { what: 'two redeliveries' });
  const stuck = await jsm.consumers.info(streamOf('inference', bus.prefix).name, durable);
  await ensureDeadLetterStream(jsm, bus.prefix);
  await settledThrough(bus, seq);
  const letters = await bus.deadLetters.list();
  // Counted once the message settled: a redelivery may still come before the stream is back.
  const refused = lines.filter(
    (line) => line.msg === 'could not store the dead letter: the message will be redelivered',
  );

  expect(refused.length).toBeGreaterThanOrEqual(2);
  expect(refused[0]).toMatchObject({ seq, durable, reason: 'tenant_id is missing' });
  expect(stuck.ack_floor.stream_seq).toBeLessThan(seq);
  expect(letters).toHaveLength(1);
  expect(letters[0]).toMatchObject({ streamSeq: seq, msgId: 'kept', reasonKind: 'poison' });
  expect(letters[0].deliveryCount).toBe(deliveries.at(-1)!.deliveryCount);
  expect(
    await counted('keel.bus.redeliveries', {
      'messaging.destination.name': subjectOf(contract, bus.prefix),
    }),
  ).toBe(refused.length);
});

it('replays a dead letter once: to its subject, with its trace context and a new message id', async () => {
  const bus = await openBus();
  let fixed = false;
  const deliveries: Delivery[] = [];
  const stored = new Set<string>();
  await bus.consume(contract, {
    durable,
    ackWaitMs: ACK_WAIT_MS,
    handler: async (message, delivery) => {
      deliveries.push(delivery);
      if (!fixed) throw new PoisonMessageError('function support.answer does not exist');
      stored.add(message.inferenceId);
    },
  });
  const message = completed();
  const first = await publishTraced(
    bus,
    inference.InferenceCompleted.encode(message).finish(),
    message.inferenceId,
  );
  await settledThrough(bus, first.seq);
  const [letter] = await bus.deadLetters.list();

  fixed = true;
  const replayed = await bus.deadLetters.replay(letter.seq);
  await settledThrough(bus, replayed!.streamSeq);
  const again = await bus.deadLetters.replay(letter.seq);

  expect(replayed).toEqual({
    seq: letter.seq,
    subject: subjectOf(contract, bus.prefix),
    streamSeq: first.seq + 1,
    msgId: `${message.inferenceId}:replay:${letter.seq}`,
  });
  expect(again).toBeNull();
  expect(await bus.deadLetters.list()).toEqual([]);
  expect(deliveries.map((delivery) => delivery.msgId)).toEqual([
    message.inferenceId,
    `${message.inferenceId}:replay:${letter.seq}`,
  ]);
  expect([...stored]).toEqual([message.inferenceId]);
  const jsm = await jetstreamManager(bus.connection);
  const republished = await jsm.streams.getMessage(streamOf('inference', bus.prefix).name, {
    seq: replayed!.streamSeq,
  });
  expect(republished?.header.get('traceparent')).toBe(TRACEPARENT);
});

it('replays every dead letter of one durable, and leaves those of another', async () => {
  const bus = await openBus();
  const other = 'evaluation-inference-completed';
  const poisonFor = (name: string) => ({
    durable: name,
    ackWaitMs: ACK_WAIT_MS,
    handler: async () => {
      throw new PoisonMessageError(`${name} cannot handle it`);
    },
  });
  const billingSubscription = await bus.consume(contract, poisonFor(durable));
  await bus.consume(contract, poisonFor(other));
  await bus.publish(contract, completed(), { msgId: 'a' });
  const last = await bus.publish(contract, completed(), { msgId: 'b' });
  await eventually(async () => (await bus.deadLetters.list()).length === 4, {
    what: 'four dead letters',
  });
  // Stopped, so the replays stay on the stream for the billing durable to find later.
  await billingSubscription.stop();
  const otherLetters = await bus.deadLetters.list({ durable: other });

  const replayed = await bus.deadLetters.replayAll({ durable });

  expect(replayed.map((done) => done.msgId).sort()).toEqual([
    expect.stringMatching(/^a:replay:/),
    expect.stringMatching(/^b:replay:/),
  ]);
  expect(replayed.every((done) => done.streamSeq > last.seq)).toBe(true);
  expect(await bus.deadLetters.list({ durable })).toEqual([]);
  // A replay goes to the subject, so the other durable, still failing, may add letters of it.
  expect((await bus.deadLetters.list({ durable: other })).slice(0, 2)).toEqual(otherLetters);
});

it('moves a message whose last allowed delivery was never settled to the dead-letter stream without running the handler again', async () => {
  const prefix = uniqueName('t');
  const connect = async () => {
    const bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'dead-letter-test',
      prefix,
      logger: captureLogs().logger,
    });
    buses.push(bus);
    await bus.ensureStreams(['inference']);
    return bus;
  };
  const crashing = await connect();
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await crashing.consume(contract, {
    durable,
    ackWaitMs: ACK_WAIT_MS,
    maxDeliver: 1,
    // The process dies while its handler runs.
    handler: async () => {
      markStarted();
      await released;
    },
  });
  const { seq } = await crashing.publish(contract, completed(), { msgId: 'crashed' });
  await started;
  await crashing.connection.close();

  const survivor = await connect();
  const handled: Delivery[] = [];
  await survivor.consume(contract, {
    durable,
    ackWaitMs: ACK_WAIT_MS,
    maxDeliver: 1,
    handler: async (_message, delivery) => {
      handled.push(delivery);
    },
  });
  await settledThrough(survivor, seq);
  const letters = await survivor.deadLetters.list();
  release();

  expect(handled).toEqual([]);
  expect(letters).toHaveLength(1);
  expect(letters[0]).toMatchObject({
    streamSeq: seq,
    msgId: 'crashed',
    deliveryCount: 2,
    reasonKind: 'delivery-limit',
    reason: 'delivery 2 is past the limit of 1: no earlier delivery was acked',
  });
});
