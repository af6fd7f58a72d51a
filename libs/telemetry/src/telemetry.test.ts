import { DiagLogLevel, ProxyTracerProvider, diag, metrics, trace } from '@opentelemetry/api';
import pino from 'pino';
import { createLogger, currentTraceId, registerTelemetry, shutdownTelemetry } from './index';
import { loggerOptions } from './logger';

// A pino destination that keeps every line written to it.
function captureLines(): {
  lines: () => Record<string, unknown>[];
  stream: pino.DestinationStream;
} {
  const written: string[] = [];
  return {
    stream: { write: (line: string) => void written.push(line) },
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('telemetry', () => {
  beforeAll(() => {
    delete process.env.OTEL_SERVICE_NAME;
    delete process.env.OTEL_TRACES_EXPORTER;
    delete process.env.OTEL_METRICS_EXPORTER;
    delete process.env.OTEL_LOGS_EXPORTER;
    registerTelemetry('keel-test');
  });

  afterAll(() => shutdownTelemetry());

  it('exports nothing unless OTEL_* says so, and names the service', () => {
    expect(process.env.OTEL_TRACES_EXPORTER).toBe('none');
    expect(process.env.OTEL_METRICS_EXPORTER).toBe('none');
    expect(process.env.OTEL_LOGS_EXPORTER).toBe('none');
    expect(process.env.OTEL_SERVICE_NAME).toBe('keel-test');
  });

  it('registers no meter provider without a metrics exporter, so instruments cost nothing', () => {
    const current = metrics.getMeterProvider();
    // With nothing registered, disabling leaves the API on the same no-op provider.
    metrics.disable();
    expect(metrics.getMeterProvider()).toBe(current);
  });

  it('is idempotent: a second call registers nothing', () => {
    const delegate = () => (trace.getTracerProvider() as ProxyTracerProvider).getDelegate();
    const before = delegate();
    // A second SDK start would make the API report a duplicate global registration.
    const complaints: string[] = [];
    const record = (message: string) => void complaints.push(message);
    diag.setLogger(
      { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      registerTelemetry('another-name');
    } finally {
      diag.disable();
    }
    expect(complaints).toEqual([]);
    expect(delegate()).toBe(before);
    expect(process.env.OTEL_SERVICE_NAME).toBe('keel-test');
  });

  it('creates real trace ids even with no trace exporter', () => {
    trace.getTracer('t').startActiveSpan('work', (span) => {
      expect(span.isRecording()).toBe(true);
      expect(currentTraceId()).toBe(span.spanContext().traceId);
      expect(currentTraceId()).not.toBe('0'.repeat(32));
      span.end();
    });
  });

  it('writes the active span trace_id and span_id into a log line', () => {
    const { stream, lines } = captureLines();
    const logger = pino(loggerOptions('inference', 'info'), stream);

    let ids: { traceId: string; spanId: string } | undefined;
    trace.getTracer('t').startActiveSpan('request', (span) => {
      ids = span.spanContext();
      logger.info({ tenant_id: 't1' }, 'inside');
      span.end();
    });
    logger.info('outside');

    const [inside, outside] = lines();
    expect(inside).toMatchObject({
      service: 'inference',
      level: 'info',
      msg: 'inside',
      tenant_id: 't1',
      trace_id: ids?.traceId,
      span_id: ids?.spanId,
    });
    expect(outside).toMatchObject({ service: 'inference', msg: 'outside' });
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
  });

  it('respects the level and answers no trace id outside a span', () => {
    const { stream, lines } = captureLines();
    const logger = pino(loggerOptions('billing', 'warn'), stream);
    logger.info('dropped');
    logger.warn('kept');
    expect(lines().map((line) => line.msg)).toEqual(['kept']);
    expect(currentTraceId()).toBe('');
  });

  it('createLogger builds a logger at the asked level', () => {
    const logger = createLogger('router', 'debug');
    expect(logger.level).toBe('debug');
    expect(createLogger('router').level).toBe('info');
  });
});
