import { Metadata, type sendUnaryData } from '@grpc/grpc-js';
import { InvalidArgumentError, UnavailableError } from '@keel/errors';
import { metrics } from '@opentelemetry/api';
import { type HistogramMetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { unary } from './index';

/** A reader the test collects from on demand. */
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
const PATH = '/keel.test.v1.TestService/Echo';

/** Calls a unary handler as grpc-js would, resolving once it has answered. */
function callOnce(handler: (request: string) => Promise<string>): Promise<void> {
  const bound = unary<string, string>({ logger, handler });
  return new Promise((resolve) => {
    const call = {
      request: 'hi',
      metadata: new Metadata(),
      getPath: () => PATH,
      getDeadline: () => Infinity,
      once: () => undefined,
    };
    const callback: sendUnaryData<string> = () => resolve();
    bound(call as unknown as Parameters<typeof bound>[0], callback);
  });
}

/** Each series of rpc.server.call.duration: its attributes and how many calls it counted. */
async function durationSeries(): Promise<Array<{ attributes: object; count: number }>> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((found) => found.descriptor.name === 'rpc.server.call.duration') as
    HistogramMetricData | undefined;
  expect(metric?.descriptor.unit).toBe('s');
  return (metric?.dataPoints ?? []).map((point) => ({
    attributes: point.attributes,
    count: point.value.count,
  }));
}

describe('RPC metrics recorded by unary', () => {
  it('counts each call by method and status, marking server failures with error.type', async () => {
    await callOnce(async () => 'ok');
    await callOnce(async () => 'ok');
    await callOnce(() => Promise.reject(new InvalidArgumentError('messages', 'empty')));
    await callOnce(() => Promise.reject(new UnavailableError('every model failed')));
    await callOnce(() => Promise.reject(new TypeError('a bug')));

    const base = { 'rpc.system.name': 'grpc', 'rpc.method': 'keel.test.v1.TestService/Echo' };
    expect(await durationSeries()).toEqual(
      expect.arrayContaining([
        { attributes: { ...base, 'rpc.status_code': 'OK' }, count: 2 },
        // The caller's mistake: counted, but not as an error of the service.
        { attributes: { ...base, 'rpc.status_code': 'INVALID_ARGUMENT' }, count: 1 },
        {
          attributes: { ...base, 'rpc.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE' },
          count: 1,
        },
        {
          attributes: { ...base, 'rpc.status_code': 'INTERNAL', 'error.type': 'INTERNAL' },
          count: 1,
        },
      ]),
    );
    expect(await durationSeries()).toHaveLength(4);
  });
});
