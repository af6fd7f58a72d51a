import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver';

describe('startOtlpReceiver', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => (receiver = await startOtlpReceiver()));
  afterAll(() => receiver.close());

  // The body is what the OTLP/HTTP JSON exporter sends: the SDK's own JSON serializer's output.
  it('keeps the spans of an OTLP/JSON export, with their service, parent and attributes', async () => {
    const exported = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'billing' }),
      spanProcessors: [new SimpleSpanProcessor(exported)],
    });
    const tracer = provider.getTracer('test');
    const parentSpan = tracer.startSpan('parent', { kind: SpanKind.SERVER });
    const childSpan = tracer.startSpan(
      'child',
      { kind: SpanKind.PRODUCER, attributes: { text: 'a', tokens: 8, cached: false } },
      trace.setSpan(ROOT_CONTEXT, parentSpan),
    );
    childSpan.setStatus({ code: SpanStatusCode.ERROR });
    childSpan.end();
    parentSpan.end();
    const spans = exported.getFinishedSpans();
    await provider.shutdown();

    const response = await fetch(receiver.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JsonTraceSerializer.serializeRequest(spans),
    });
    expect(response.status).toBe(200);

    const [child, parent] = receiver.spans();
    expect(parent).toMatchObject({
      service: 'billing',
      name: 'parent',
      kind: 'SERVER',
      parentSpanId: undefined,
    });
    expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(child).toMatchObject({
      service: 'billing',
      name: 'child',
      kind: 'PRODUCER',
      traceId: parent.traceId,
      parentSpanId: parent.spanId,
      attributes: { text: 'a', tokens: 8, cached: false },
      statusCode: 2,
    });
  });

  it('refuses protobuf, naming the protocol to set', async () => {
    const response = await fetch(receiver.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(response.status).toBe(415);
    expect(await response.text()).toContain('http/json');
  });
});
