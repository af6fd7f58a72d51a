import { durableNameOf, events, inference, subjectOf } from '@keel/contracts';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { type SpanContext, SpanKind, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import pino from 'pino';
import { type Bus, connectBus } from './index';

const contract = events.inferenceCompleted;
const durable = durableNameOf('evaluation', contract);
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let bus: Bus;

beforeAll(async () => {
  // The default registration: W3C trace context propagator, async-local-storage context.
  provider.register();
  bus = await connectBus({
    servers: testServers().natsUrl,
    name: 'bus-trace-test',
    prefix: uniqueName('t'),
    logger: pino({ level: 'silent' }),
  });
  await bus.ensureStreams(['inference']);
});

afterAll(async () => {
  await bus.drain();
  await provider.shutdown();
});

describe('trace context across the bus', () => {
  it('runs the handler in the trace of the span that published the message', async () => {
    let handlerSpan!: (context: SpanContext | undefined) => void;
    const inHandler = new Promise<SpanContext | undefined>((resolve) => (handlerSpan = resolve));
    await bus.consume(contract, {
      durable,
      handler: async () => handlerSpan(trace.getActiveSpan()?.spanContext()),
    });
    const message = inference.InferenceCompleted.fromPartial({ inferenceId: uniqueName('i') });

    const request = await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await bus.publish(contract, message, { msgId: message.inferenceId });
      span.end();
      return span.spanContext();
    });
    const handler = await inHandler;
    await eventually(
      () => exporter.getFinishedSpans().some((span) => span.kind === SpanKind.CONSUMER),
      { what: 'the consumer span to end' },
    );

    const subject = subjectOf(contract, bus.prefix);
    const spans = exporter.getFinishedSpans();
    const producer = spans.find((span) => span.kind === SpanKind.PRODUCER);
    const consumer = spans.find((span) => span.kind === SpanKind.CONSUMER);
    expect(handler?.traceId).toBe(request.traceId);
    expect(producer).toMatchObject({
      name: `publish ${subject}`,
      parentSpanContext: expect.objectContaining({ spanId: request.spanId }),
      attributes: expect.objectContaining({ 'messaging.message.id': message.inferenceId }),
    });
    expect(producer?.spanContext().traceId).toBe(request.traceId);
    expect(consumer).toMatchObject({
      name: `process ${subject}`,
      parentSpanContext: expect.objectContaining({ spanId: producer?.spanContext().spanId }),
      attributes: expect.objectContaining({ 'messaging.consumer.group.name': durable }),
    });
    expect(consumer?.spanContext()).toEqual(handler);
  });
});
