// W3C trace context in NATS message headers, so a consumer continues the producer's trace.
import {
  type Context,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  propagation,
  trace,
} from '@opentelemetry/api';
import { type MsgHdrs, Match } from '@nats-io/nats-core';

/** The bus's tracer, looked up on use so a provider registered later is honoured. */
export function busTracer(): Tracer {
  return trace.getTracer('@keel/bus');
}

const setter: TextMapSetter<MsgHdrs> = {
  set(headers, key, value) {
    headers.set(key, value);
  },
};

// Header names are matched without regard to case: other clients may canonicalise them.
const getter: TextMapGetter<MsgHdrs | undefined> = {
  get(headers, key) {
    if (!headers?.has(key, Match.IgnoreCase)) return undefined;
    return headers.get(key, Match.IgnoreCase);
  },
  keys(headers) {
    return headers?.keys() ?? [];
  },
};

/** Writes the trace context of `context` (traceparent, tracestate) into `headers`. */
export function injectTraceContext(context: Context, headers: MsgHdrs): void {
  propagation.inject(context, headers, setter);
}

/** The producer's trace context carried by `headers`, or the root context when there is none. */
export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}
