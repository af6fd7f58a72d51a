import { EventEmitter } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import { UnavailableError } from '@keel/errors';
import { metrics } from '@opentelemetry/api';
import { type HistogramMetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { CallEnded, type Send, type StreamContext, serverStream } from './index';

class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}
const reader = new CollectingReader();
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
afterAll(() => provider.shutdown());

const ignore = () => undefined;
const logger = { info: ignore, warn: ignore, error: ignore };
const PATH = '/keel.test.v1.TestService/Count';

/** A server-streaming call as grpc-js hands it to a handler, recording what it is told. */
class FakeCall extends EventEmitter {
  readonly request = 3;
  readonly metadata = new Metadata();
  readonly written: number[] = [];
  ended = false;
  endTrailers: Metadata | undefined;
  emitted: { code: status; details: string; metadata: Metadata } | undefined;
  constructor(private readonly deadline: number = Infinity) {
    super();
    this.on('error', (answer: FakeCall['emitted']) => (this.emitted = answer));
  }
  getPath = () => PATH;
  getDeadline = () => this.deadline;
  write = (message: number) => {
    this.written.push(message);
    return true;
  };
  end = (trailers?: Metadata) => {
    this.ended = true;
    this.endTrailers = trailers;
  };
}

/** Runs `handler` on a fake call; resolves once the call ended or failed. */
async function run(
  handler: (request: number, context: StreamContext, send: Send<number>) => Promise<void>,
  call = new FakeCall(),
  during?: (call: FakeCall) => void,
): Promise<FakeCall> {
  const bound = serverStream<number, number>({ logger, handler });
  bound(call as unknown as Parameters<typeof bound>[0]);
  during?.(call);
  for (let i = 0; i < 100 && !call.ended && !call.emitted; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return call;
}

/** The calls counted so far, by status (cumulative over the file's tests). */
async function statusCounts(): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((found) => found.descriptor.name === 'rpc.server.call.duration') as
    HistogramMetricData | undefined;
  return Object.fromEntries(
    (metric?.dataPoints ?? []).map((point) => [
      String(point.attributes['rpc.status_code']),
      point.value.count,
    ]),
  );
}

describe('serverStream', () => {
  it('writes what the handler sends and ends OK; an error ends it with its status; both carry the handler’s trailers', async () => {
    const counted = await run(async (request, { trailers }, send) => {
      for (let i = 1; i <= request; i++) await send(i);
      trailers.set('keel-inference-id', 'inf-1');
    });
    expect(counted.written).toEqual([1, 2, 3]);
    expect(counted.ended).toBe(true);
    expect(counted.endTrailers?.get('keel-inference-id')).toEqual(['inf-1']);

    const failed = await run(async (_request, { trailers }, send) => {
      await send(1);
      trailers.set('keel-inference-id', 'inf-2');
      throw new UnavailableError('every model failed');
    });
    expect(failed.written).toEqual([1]);
    expect(failed.emitted).toMatchObject({
      code: status.UNAVAILABLE,
      details: 'every model failed',
    });
    expect(failed.emitted?.metadata.get('keel-inference-id')).toEqual(['inf-2']);
    expect(await statusCounts()).toEqual({ OK: 1, UNAVAILABLE: 1 });
  });

  it('aborts the handler’s signal when the caller cancels, and counts the call CANCELLED', async () => {
    let seen: unknown;
    const call = await run(
      (_request, { signal }) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            seen = signal.reason;
            reject(new Error('stopped'));
          }),
        ),
      new FakeCall(),
      (fake) => fake.emit('cancelled'),
    );
    expect(seen).toBeInstanceOf(CallEnded);
    expect((seen as CallEnded).byCaller).toBe(true);
    expect(call.emitted?.code).toBe(status.CANCELLED);
    expect(await statusCounts()).toMatchObject({ CANCELLED: 1 });
  });

  it('gives the handler the deadline and aborts its signal when the deadline passes', async () => {
    const deadline = Date.now() + 50;
    let given = 0;
    const call = await run(
      (_request, context) =>
        new Promise((_resolve, reject) => {
          given = context.deadline;
          context.signal.addEventListener('abort', () => reject(context.signal.reason));
        }),
      new FakeCall(deadline),
    );
    expect(given).toBe(deadline);
    expect(call.emitted?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(await statusCounts()).toMatchObject({ DEADLINE_EXCEEDED: 1 });
  });
});
