import { inference } from '@keel/contracts';
import { CompletedPublisher } from './completed-publisher';

const event = (n: number) =>
  inference.InferenceCompleted.fromPartial({ inferenceId: `inference-${n}` });

function recordingLogger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A publish whose acknowledgements the test hands out one by one. */
function heldPublish() {
  const held: Array<{ id: string; ack: () => void }> = [];
  const publish = (e: inference.InferenceCompleted) =>
    new Promise<void>((resolve) => held.push({ id: e.inferenceId, ack: resolve }));
  return { publish, held };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CompletedPublisher', () => {
  it('publishes every event it is given, and stop() returns once all are acknowledged', async () => {
    const published: string[] = [];
    const publisher = new CompletedPublisher({
      publish: async (e) => void published.push(e.inferenceId),
      logger: recordingLogger().logger,
      maxQueued: 100,
    });
    for (let n = 0; n < 40; n++) await publisher.enqueue(event(n));
    await publisher.stop(5_000);
    expect(published.sort()).toEqual(Array.from({ length: 40 }, (_, n) => `inference-${n}`).sort());
    expect(publisher.pending).toBe(0);
  });

  it('retries an event until it is acknowledged, logging the failures', async () => {
    let failures = 3;
    const published: string[] = [];
    const { logger, lines } = recordingLogger();
    const publisher = new CompletedPublisher({
      publish: async (e) => {
        if (failures-- > 0) throw new Error('no responders: stream unavailable');
        published.push(e.inferenceId);
      },
      logger,
      maxQueued: 10,
      retryDelayMs: 1,
    });
    await publisher.enqueue(event(1));
    await publisher.stop(5_000);
    expect(published).toEqual(['inference-1']);
    // The 1st and 2nd failures are logged; the 3rd waits for the 4th.
    expect(lines.map((line) => [line.level, line.fields.failures])).toEqual([
      ['warn', 1],
      ['warn', 2],
    ]);
  });

  it('waits for room when the queue is full instead of dropping events', async () => {
    const { publish, held } = heldPublish();
    const publisher = new CompletedPublisher({
      publish,
      logger: recordingLogger().logger,
      maxQueued: 2,
    });
    await publisher.enqueue(event(1));
    await publisher.enqueue(event(2));
    let third = false;
    const enqueued = publisher.enqueue(event(3)).then(() => (third = true));
    await settle();
    expect(third).toBe(false);
    expect(publisher.pending).toBe(2);

    held[0].ack();
    await enqueued;
    expect(publisher.pending).toBe(2);
    await settle();
    for (const { ack } of held) ack();
    await publisher.stop(5_000);
    expect(held.map((h) => h.id)).toEqual(['inference-1', 'inference-2', 'inference-3']);
  });

  it('stops waiting after the timeout and logs the events left', async () => {
    const { publish, held } = heldPublish();
    const { logger, lines } = recordingLogger();
    const publisher = new CompletedPublisher({ publish, logger, maxQueued: 10 });
    await publisher.enqueue(event(1));
    await publisher.enqueue(event(2));
    await settle();
    held[0].ack();
    await publisher.stop(20);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ left: 1, inference_ids: ['inference-2'] }),
      }),
    );
  });

  it('publishes an event queued while stop() flushes, within the same deadline', async () => {
    const { publish, held } = heldPublish();
    const publisher = new CompletedPublisher({
      publish,
      logger: recordingLogger().logger,
      maxQueued: 10,
    });
    await publisher.enqueue(event(1));
    let stopped = false;
    const stopping = publisher.stop(5_000).then(() => (stopped = true));
    await publisher.enqueue(event(2));
    await settle();
    held[0].ack();
    await settle();
    expect(stopped).toBe(false);
    held[1].ack();
    await stopping;
    expect(held.map((h) => h.id)).toEqual(['inference-1', 'inference-2']);
    expect(publisher.pending).toBe(0);
  });

  it('logs an event queued after stop() returned as not published, without throwing', async () => {
    const published: string[] = [];
    const { logger, lines } = recordingLogger();
    const publisher = new CompletedPublisher({
      publish: async (e) => void published.push(e.inferenceId),
      logger,
      maxQueued: 10,
    });
    await publisher.stop(1_000);
    await expect(publisher.enqueue(event(1))).resolves.toBeUndefined();
    await settle();
    expect(published).toEqual([]);
    expect(lines).toContainEqual({
      level: 'error',
      fields: { inference_id: 'inference-1' },
      message: 'InferenceCompleted arrived after the publisher stopped: not published',
    });
  });

  it('wakes a caller waiting for room when stop() gives up, and logs its event', async () => {
    const { publish, held } = heldPublish();
    const { logger, lines } = recordingLogger();
    const publisher = new CompletedPublisher({ publish, logger, maxQueued: 1 });
    await publisher.enqueue(event(1));
    const waiting = publisher.enqueue(event(2));
    await publisher.stop(20);
    await waiting;
    await settle();
    expect(held.map((h) => h.id)).toEqual(['inference-1']);
    expect(lines.filter((line) => line.level === 'error').map((line) => line.fields)).toEqual([
      expect.objectContaining({ left: 1, inference_ids: ['inference-1'] }),
      { inference_id: 'inference-2' },
    ]);
  });
});
