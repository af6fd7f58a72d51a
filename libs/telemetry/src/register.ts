import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

let sdk: NodeSDK | undefined;

/**
 * Starts OpenTelemetry for this process. Call it before anything imports `@grpc/grpc-js` or
 * `http` (the first import of a service's main), so their instrumentations can patch them.
 * Calling it again does nothing.
 *
 * Everything is set by the standard `OTEL_*` variables. Unless they say otherwise, nothing is
 * exported (`OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER` and `OTEL_LOGS_EXPORTER` default to
 * `none`) and `OTEL_SERVICE_NAME` is `serviceName`. `OTEL_METRICS_EXPORTER=prometheus` serves
 * `/metrics` on `OTEL_EXPORTER_PROMETHEUS_HOST` and `OTEL_EXPORTER_PROMETHEUS_PORT` (default
 * every interface, 9464); `otlp` pushes every `OTEL_METRIC_EXPORT_INTERVAL` ms. With `none`, no
 * meter provider is registered and every instrument is the API's no-op: metrics cost nothing.
 */
export function registerTelemetry(serviceName: string): void {
  if (sdk) return;
  const env = process.env;
  env.OTEL_SERVICE_NAME ||= serviceName;
  env.OTEL_TRACES_EXPORTER ||= 'none';
  env.OTEL_METRICS_EXPORTER ||= 'none';
  env.OTEL_LOGS_EXPORTER ||= 'none';

  sdk = new NodeSDK({
    // gRPC servers make their own spans (libs/kit), cheaper than the gRPC instrumentation.
    instrumentations: [new HttpInstrumentation()],
    // With no trace exporter the SDK would install no tracer at all, and requests would carry
    // no trace id. A span processor that drops every span keeps ids in logs and in the context
    // propagated to other services.
    ...(tracesExporterIsNone() ? { spanProcessors: [new NoopSpanProcessor()] } : {}),
  });
  sdk.start();
}

/** Flushes and stops telemetry; the process is expected to exit afterwards. */
export async function shutdownTelemetry(): Promise<void> {
  await sdk?.shutdown();
}

function tracesExporterIsNone(): boolean {
  const names = (process.env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim());
  return names.length === 1 && names[0] === 'none';
}
