// Telemetry: OpenTelemetry set up from the OTEL_* environment, trace-aware JSON logs, and the
// semantic-convention names Keel records.
export { registerTelemetry, shutdownTelemetry } from './register';
export { createLogger, currentTraceId, type Logger } from './logger';
export * from './attributes';
