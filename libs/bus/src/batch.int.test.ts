import { durableNameOf, events, inference, streamOf } from '@keel/contracts';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { type BatchItem, type Bus, PoisonMessageError, connectBus } from './index';

// A batch consumer on the real NATS server: its own bus prefix, so its own stream and durable.

const contract = events.inferenceCompleted;
const durable = durableNameOf('billing', contract);

describe('a batch consumer', () => {
  let bus: Bus;
  const prefix = uniqueName('bbatch');

  beforeAll(async () => {
    bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'bus-batch-test',
      prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.ensureStreams(['inference']);
  });

  afterAll(async () => {
    await bus.drain();
  });

  it('hands over batches one at a time, acks what succeeded, dead-letters the poison and redelivers the rest', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `inf-${i}`);
    let lastSeq = 0;
    for (const inferenceId of ids) {
      const event = inference.InferenceCompleted.fromPartial({ inferenceId, tenantId: 'acme' });
      lastSeq = (await bus.publish(contract, event, { msgId: inferenceId })).seq;
    }
    const batches: string[][] = [];
    const deliveries = new Map<string, number>();
    let running = 0;
    let overlapped = false;
    await bus.consumeBatch(contract, {
      durable,
      maxBatch: 8,
      nakDelayMs: () => 10,
      handler: async (items) => {
        overlapped ||= running > 0;
        running += 1;
        // Lets more messages arrive while this batch runs.
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        batches.push(items.map((item) => item.message.inferenceId));
        const failures = new Map<BatchItem<inference.InferenceCompleted>, unknown>();
        for (const item of items) {
          const { inferenceId } = item.message;
          deliveries.set(inferenceId, item.delivery.deliveryCount);
          if (inferenceId === 'inf-3') failures.set(item, new PoisonMessageError('never billable'));
          if (inferenceId === 'inf-5' && item.delivery.deliveryCount === 1) {
            failures.set(item, new Error('store briefly down'));
          }
        }
        return failures;
      },
    });

    const jsm = await jetstreamManager(bus.connection);
    await eventually(
      async () => {
        const info = await jsm.consumers.info(streamOf('inference', prefix).name, durable);
        return info.ack_floor.stream_seq >= lastSeq && info.num_ack_pending === 0;
      },
      { what: 'every message settled' },
    );
    expect(overlapped).toBe(false);
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(8);
    // Messages that arrived during a batch went together into the next one.
    expect(batches.some((batch) => batch.length > 1)).toBe(true);
    expect(new Set(batches.flat())).toEqual(new Set(ids));
    expect(deliveries.get('inf-5')).toBe(2);
    expect(deliveries.get('inf-6')).toBe(1);
    const letters = await bus.deadLetters.list({ durable });
    expect(letters.map((letter) => [letter.msgId, letter.reason])).toEqual([
      ['inf-3', 'never billable'],
    ]);
  });

  it('refuses a batch size that is not a positive integer', async () => {
    await expect(
      bus.consumeBatch(contract, { durable: 'other', maxBatch: 0, handler: async () => {} }),
    ).rejects.toThrow('maxBatch must be a positive integer, got 0');
  });
});
