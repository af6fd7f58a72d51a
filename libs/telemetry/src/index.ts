// Telemetry: OpenTelemetry set up from the OTEL_* environment, and trace-aware JSON logs.
export { registerTelemetry, shutdownTelemetry } from './register';
export { createLogger, currentTraceId, type Logger } from './logger';
