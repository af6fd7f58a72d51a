import { headers } from '@nats-io/nats-core';
import { ROOT_CONTEXT, TraceFlags, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { extractTraceContext, injectTraceContext } from './trace-context';

const spanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

beforeAll(() => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(() => {
  propagation.disable();
});

describe('trace context in message headers', () => {
  it('writes the span as a W3C traceparent header', () => {
    const messageHeaders = headers();
    injectTraceContext(trace.setSpanContext(ROOT_CONTEXT, spanContext), messageHeaders);
    expect(messageHeaders.get('traceparent')).toBe(
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
  });

  it('reads back the span it wrote, as a remote parent', () => {
    const messageHeaders = headers();
    injectTraceContext(trace.setSpanContext(ROOT_CONTEXT, spanContext), messageHeaders);
    expect(trace.getSpanContext(extractTraceContext(messageHeaders))).toEqual({
      ...spanContext,
      isRemote: true,
    });
  });

  it('reads a header whose name another client capitalised', () => {
    const messageHeaders = headers();
    messageHeaders.set('Traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(trace.getSpanContext(extractTraceContext(messageHeaders))?.traceId).toBe(
      spanContext.traceId,
    );
  });

  it('gives the root context for a message without trace headers', () => {
    expect(trace.getSpanContext(extractTraceContext(headers()))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext(undefined))).toBeUndefined();
  });
});
