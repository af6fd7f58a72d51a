// The SERVER span of every RPC a Keel server answers, made here rather than by the gRPC
// auto-instrumentation, which wrapped each call in closures, listeners and a second set of
// attributes at a cost on every request: one span per call, continuing the caller's trace from
// its `traceparent` metadata, active while the handler runs, ended with the call's status.
import type { Metadata, status } from '@grpc/grpc-js';
import {
  type Context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  propagation,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';
import { isServerError, statusName } from './rpc-metrics';

const tracer = trace.getTracer('@keel/kit');

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key).map(String);
    return values.length <= 1 ? values[0] : values;
  },
};

export interface RpcSpan {
  /** The context a handler runs in: the span active, under the caller's trace. */
  context: Context;
  /** Ends the span with the status the call was answered with. */
  end(code: status): void;
}

/** Starts the span of one call of `path` (`/keel.inference.v1.InferenceService/Complete`). */
export function startRpcSpan(path: string, metadata: Metadata): RpcSpan {
  const method = path.startsWith('/') ? path.slice(1) : path;
  const parent = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
  const span = tracer.startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: { [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC, [ATTR_RPC_METHOD]: method },
    },
    parent,
  );
  return {
    context: trace.setSpan(parent, span),
    end(code) {
      const name = statusName(code);
      span.setAttribute(ATTR_RPC_STATUS_CODE, name);
      if (isServerError(code)) {
        span.setAttribute(ATTR_ERROR_TYPE, name);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
