// An OTLP/HTTP trace receiver that keeps every span in memory, so a test can check the spans
// that services running as other processes exported. It takes the JSON encoding: start the
// services with OTEL_TRACES_EXPORTER=otlp, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json and
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set to `endpoint` (see `exporterEnv`).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type ReceivedSpanKind =
  'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

export interface ReceivedSpan {
  /** The `service.name` of the process that exported the span. */
  service: string;
  traceId: string;
  spanId: string;
  /** Absent for a trace's root span. */
  parentSpanId: string | undefined;
  name: string;
  kind: ReceivedSpanKind;
  attributes: Record<string, AttributeValue>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

type AttributeValue = string | number | boolean | AttributeValue[];

export interface OtlpReceiver {
  /** The URL to export traces to, e.g. http://127.0.0.1:43127/v1/traces. */
  endpoint: string;
  /** The environment that makes a process export its spans here, in batches `delayMs` apart. */
  exporterEnv(delayMs?: number): NodeJS.ProcessEnv;
  /** Every span received so far, in the order received. */
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

// The OTLP JSON shapes this receiver reads (opentelemetry-proto, JSON mapping).
interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}
interface ExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

const KINDS: ReceivedSpanKind[] = [
  'UNSPECIFIED',
  'INTERNAL',
  'SERVER',
  'CLIENT',
  'PRODUCER',
  'CONSUMER',
];

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = (code: number, body: object) => {
        response.writeHead(code, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        answer(404, { message: `no ${request.method} ${request.url} here: POST /v1/traces` });
        return;
      }
      if (!String(request.headers['content-type']).startsWith('application/json')) {
        answer(415, { message: 'send OTLP/JSON (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json)' });
        return;
      }
      try {
        let body = Buffer.concat(chunks);
        if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        received.push(...spansOf(JSON.parse(body.toString('utf8')) as ExportTraceServiceRequest));
        answer(200, {});
      } catch (error) {
        answer(400, { message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return {
    endpoint,
    exporterEnv: (delayMs = 100) => ({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: String(delayMs),
    }),
    spans: () => [...received],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function spansOf(request: ExportTraceServiceRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = String(resource['service.name'] ?? '');
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: KINDS[span.kind ?? 0] ?? 'UNSPECIFIED',
        attributes: attributesOf(span.attributes),
        statusCode: span.status?.code ?? 0,
      })),
    );
  });
}

function attributesOf(attributes: OtlpAttribute[] = []): Record<string, AttributeValue> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]));
}

function valueOf(value: OtlpValue): AttributeValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  // int64 may arrive as a JSON string, as the protobuf JSON mapping allows.
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  return '';
}
