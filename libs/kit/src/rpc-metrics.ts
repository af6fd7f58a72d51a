// Requests, errors and duration of every RPC a Keel server answers, as the one histogram the
// OpenTelemetry RPC conventions define: its count is the requests, the count of series with
// `error.type` the errors. With no meter provider registered, recording costs nothing.
import { status } from '@grpc/grpc-js';
import { type Histogram, metrics } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@opentelemetry/semantic-conventions';

// The codes a gRPC server reports as its own failure (the conventions' list); the others,
// such as INVALID_ARGUMENT or UNAUTHENTICATED, are the caller's and not errors of the service.
const SERVER_ERRORS = new Set<status>([
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.UNIMPLEMENTED,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

// The boundaries the conventions advise for durations in seconds.
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

let duration: Histogram | undefined;

// Created on first use, not at import: the global meter provider has no proxy, and a meter
// taken before telemetry registers would stay a no-op.
function durationHistogram(): Histogram {
  duration ??= metrics.getMeter('@keel/kit').createHistogram(METRIC_RPC_SERVER_CALL_DURATION, {
    description: 'Duration of the RPCs this server answered',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  return duration;
}

/** A status a gRPC server reports as its own failure. */
export function isServerError(code: status): boolean {
  return SERVER_ERRORS.has(code);
}

/** `OK`, `INVALID_ARGUMENT`…: a status code's name. */
export function statusName(code: status): string {
  return status[code] ?? String(code);
}

/**
 * Starts measuring one call of `path` (`/keel.inference.v1.InferenceService/Complete`); the
 * function returned records it with the status it was answered with.
 */
export function measureRpc(path: string): (code: status) => void {
  const started = performance.now();
  return (code) => {
    const name = statusName(code);
    durationHistogram().record((performance.now() - started) / 1_000, {
      [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
      [ATTR_RPC_METHOD]: path.replace(/^\//, ''),
      [ATTR_RPC_STATUS_CODE]: name,
      ...(isServerError(code) ? { [ATTR_ERROR_TYPE]: name } : {}),
    });
  };
}
