import { Metadata, type sendUnaryData } from '@grpc/grpc-js';
import { UnavailableError } from '@keel/errors';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { call, unary } from './index';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
afterEach(() => exporter.reset());
afterAll(() => provider.shutdown());

const ignore = () => undefined;
const logger = { info: ignore, warn: ignore, error: ignore };
const PATH = '/keel.test.v1.TestService/Echo';
const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

/** Calls a unary handler as grpc-js would, with `metadata`, resolving once it has answered. */
function callOnce(
  handler: (request: string) => Promise<string>,
  metadata = new Metadata(),
): Promise<void> {
  const bound = unary<string, string>({ logger, handler });
  return new Promise((resolve) => {
    const call = {
      request: 'hi',
      metadata,
      getPath: () => PATH,
      getDeadline: () => Infinity,
      once: () => undefined,
    };
    const callback: sendUnaryData<string> = () => resolve();
    bound(call as unknown as Parameters<typeof bound>[0], callback);
  });
}

describe('the SERVER span of each call', () => {
  it('continues the caller’s traceparent and is the active span while the handler runs', async () => {
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${CALLER_TRACE}-${CALLER_SPAN}-01`);
    let activeInHandler: string | undefined;
    await callOnce(async (request) => {
      await Promise.resolve();
      activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
      return request;
    }, metadata);

    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(span.name).toBe('keel.test.v1.TestService/Echo');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(CALLER_TRACE);
    expect(span.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(activeInHandler).toBe(span.spanContext().spanId);
    expect(span.attributes).toMatchObject({
      'rpc.system.name': 'grpc',
      'rpc.method': 'keel.test.v1.TestService/Echo',
      'rpc.status_code': 'OK',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('starts a trace of its own for a caller that sends none', async () => {
    await callOnce(async (request) => request);

    const [span] = exporter.getFinishedSpans();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(CALLER_TRACE);
  });

  it('marks a call the server failed with an error status and its error.type', async () => {
    await callOnce(async () => {
      throw new UnavailableError('every model failed');
    });

    const [span] = exporter.getFinishedSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'rpc.status_code': 'UNAVAILABLE',
      'error.type': 'UNAVAILABLE',
    });
  });
});

describe('a call made with call()', () => {
  it('carries the active trace as traceparent, for the server to continue', async () => {
    const tracer = trace.getTracer('test');
    const span = tracer.startSpan('judge');
    let sent: Metadata | undefined;
    await context.with(trace.setSpan(context.active(), span), () =>
      call<string>('keel_key_secret', (metadata, callback) => {
        sent = metadata;
        callback(null, 'ok');
      }),
    );
    span.end();
    const { traceId, spanId } = span.spanContext();
    expect(sent?.get('traceparent')).toEqual([`00-${traceId}-${spanId}-01`]);
    expect(sent?.get('authorization')).toEqual(['Bearer keel_key_secret']);
  });
});
