import { inference } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { CompletedPublisher, type PublisherOptions } from './completed-publisher';

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

/** Tracks whether a promise has settled yet. */
function watch(promise: Promise<unknown>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

function publisherWith(options: Partial<PublisherOptions> & Pick<PublisherOptions, 'publish'>) {
  const { logger, lines } = recordingLogger();
  const publisher = new CompletedPublisher({ logger, maxBacklog: 100, ...options });
  return { publisher, lines };
}

describe('CompletedPublisher', () => {
  it('resolves publish() only once the event is acknowledged', async () => {
    const { publish, held } = heldPublish();
    const { publisher } = publisherWith({ publish });
    const published = watch(publisher.publish(event(1)));
    await settle();
    expect(held.map((h) => h.id)).toEqual(['inference-1']);
    expect(published.settled).toBe(false);
    expect(publisher.pending).toBe(1);

    held[0].ack();
    await settle();
    expect(published).toEqual({ settled: true, error: undefined });
    expect(publisher.pending).toBe(0);
    await publisher.stop(1_000);
  });

  it('retries an event until it is acknowledged, logging one line a second at most', async () => {
    let failures = 3;
    const published: string[] = [];
    const { publisher, lines } = publisherWith({
      publish: async (e) => {
        if (failures-- > 0) throw new Error('no responders: stream unavailable');
        published.push(e.inferenceId);
      },
      retryDelayMs: 1,
    });
    await publisher.publish(event(1));
    expect(published).toEqual(['inference-1']);
    expect(
      lines.map((line) => [line.level, line.fields.inference_id, line.fields.failures]),
    ).toEqual([['warn', 'inference-1', 1]]);
    await publisher.stop(1_000);
  });

  it('keeps retrying an event whose caller no longer waits, until it is acknowledged', async () => {
    let attempts = 0;
    let acknowledged: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (acknowledged = resolve));
    const { publisher } = publisherWith({
      publish: async () => {
        if (++attempts < 5) throw new Error('timeout');
        acknowledged();
      },
      retryDelayMs: 1,
    });
    // The caller gave up (a deadline): nothing awaits the publish.
    void publisher.publish(event(1)).catch(() => undefined);
    await done;
    expect(attempts).toBe(5);
    await publisher.stop(1_000);
    expect(publisher.pending).toBe(0);
  });

  it('refuses new requests with UNAVAILABLE once the backlog reaches its bound, and logs both edges', async () => {
    const { publish, held } = heldPublish();
    const { publisher, lines } = publisherWith({ publish, maxBacklog: 2 });
    publisher.admit();
    const first = publisher.publish(event(1));
    publisher.admit();
    const second = publisher.publish(event(2));
    expect(() => publisher.admit()).toThrow(UnavailableError);
    expect(() => publisher.admit()).toThrow(/2 completed inferences are waiting.*at most 2/);

    await settle();
    held[0].ack();
    await first;
    expect(() => publisher.admit()).not.toThrow();
    expect(lines.map((line) => [line.level, line.message, line.fields.backlog])).toEqual([
      [
        'error',
        'InferenceCompleted backlog at its bound: refusing new requests with UNAVAILABLE',
        2,
      ],
      ['info', 'InferenceCompleted backlog below its bound: accepting requests again', 1],
    ]);
    held[1].ack();
    await second;
    await publisher.stop(1_000);
  });

  it('reports the backlog as the keel.inference.publish.backlog gauge', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const { publish, held } = heldPublish();
    const { publisher } = publisherWith({ publish, meter: provider.getMeter('test') });
    const backlog = async () => {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((m) => m.descriptor.name === 'keel.inference.publish.backlog');
      return metric?.dataPoints[0]?.value;
    };
    const publishing = [publisher.publish(event(1)), publisher.publish(event(2))];
    expect(await backlog()).toBe(2);
    await settle();
    held[0].ack();
    await publishing[0];
    expect(await backlog()).toBe(1);
    held[1].ack();
    await Promise.all(publishing);
    await publisher.stop(1_000);
    await provider.shutdown();
  });

  it('stop() waits for the backlog, including events published while it waits', async () => {
    const { publish, held } = heldPublish();
    const { publisher } = publisherWith({ publish });
    const first = publisher.publish(event(1));
    const stopping = watch(publisher.stop(5_000));
    const second = publisher.publish(event(2));
    await settle();
    held[0].ack();
    await first;
    await settle();
    expect(stopping.settled).toBe(false);
    held[1].ack();
    await second;
    await settle();
    expect(stopping).toEqual({ settled: true, error: undefined });
    expect(held.map((h) => h.id)).toEqual(['inference-1', 'inference-2']);
  });

  it('stop() gives up after its timeout: logs the ids left, and their callers get UNAVAILABLE', async () => {
    const { publisher, lines } = publisherWith({
      publish: () => Promise.reject(new Error('no responders')),
      retryDelayMs: 1,
    });
    const waiting = publisher.publish(event(1));
    await publisher.stop(20);
    await expect(waiting).rejects.toBeInstanceOf(UnavailableError);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ left: 1, inference_ids: ['inference-1'] }),
      }),
    );
  });

  it('refuses and logs an event published after stop() returned', async () => {
    const published: string[] = [];
    const { publisher, lines } = publisherWith({
      publish: async (e) => void published.push(e.inferenceId),
    });
    await publisher.stop(1_000);
    await expect(publisher.publish(event(1))).rejects.toBeInstanceOf(UnavailableError);
    expect(published).toEqual([]);
    expect(lines).toContainEqual({
      level: 'error',
      fields: { inference_id: 'inference-1' },
      message: 'InferenceCompleted arrived after the publisher stopped: not published',
    });
  });
});
