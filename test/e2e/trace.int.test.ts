// One request is one trace: inference, billing and evaluation run as separate processes that
// export their spans over OTLP to a receiver in this test, so a consumer span can only find its
// parent through the trace context the event carries.
import { type ReceivedSpan, eventually, startOtlpReceiver, type OtlpReceiver } from '@keel/testing';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, userMessage, type Clients } from '../support/clients';

jest.setTimeout(120_000);

/** The span's ancestors in `spans`, nearest first. */
function ancestorsOf(span: ReceivedSpan, spans: ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  const ancestors: ReceivedSpan[] = [];
  for (let parent = byId.get(span.parentSpanId ?? ''); parent;) {
    ancestors.push(parent);
    parent = byId.get(parent.parentSpanId ?? '');
  }
  return ancestors;
}

describe('one trace per request', () => {
  let receiver: OtlpReceiver;
  let cluster: Cluster;
  let clients: Clients;
  let tenantId: string;
  let tenantKey: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    cluster = await startCluster(['router']);
    for (const service of ['inference', 'billing', 'evaluation'] as const) {
      await cluster.start(service, receiver.exporterEnv());
    }
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const created = await clients.createTenant(cluster.adminKey(), 'acme');
    tenantId = created.tenant!.tenantId;
    tenantKey = created.apiKeySecret;
    // The new key reaches inference through the keys snapshot shortly after creation.
    await eventually(() => clients.complete(tenantKey, { messages: [userMessage('warm')] }), {
      what: 'Complete with the new key',
    });
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
    await receiver?.close();
  });

  /**
   * The PRODUCER spans of an inference's InferenceCompleted (one per try: a publish retried
   * under load makes more), and every span of its trace once the request and both consumers
   * have ended. Billing's InferenceBilled carries the same message id, on its own subject.
   */
  async function traceOf(inferenceId: string) {
    const isProducer = (span: ReceivedSpan) =>
      span.kind === 'PRODUCER' &&
      span.attributes['messaging.message.id'] === inferenceId &&
      String(span.attributes['messaging.destination.name']).endsWith('.inference.completed');
    const { traceId } = await eventually(() => receiver.spans().find(isProducer), {
      what: 'the PRODUCER span of the InferenceCompleted event',
    });
    return eventually(
      () => {
        const spans = receiver.spans().filter((span) => span.traceId === traceId);
        const producers = spans.filter(isProducer);
        const consumers = spans.filter(
          (span) =>
            span.kind === 'CONSUMER' &&
            producers.some((producer) => producer.spanId === span.parentSpanId),
        );
        if (!spans.some((span) => span.kind === 'SERVER') || consumers.length < 2) {
          // Said when the wait times out: what the trace holds so far.
          const names = spans.map(
            (span) =>
              `${span.service}: ${span.kind} ${span.name} ${span.spanId} < ${span.parentSpanId}`,
          );
          throw new Error(`the trace holds only [${names.join(', ')}]`);
        }
        return { producers, consumers, spans };
      },
      { what: 'the server span, and billing’s and evaluation’s CONSUMER spans', timeoutMs: 20_000 },
    );
  }

  it('follows Complete from the gRPC call through each attempt to billing and evaluation', async () => {
    const reply = await clients.complete(tenantKey, {
      messages: [userMessage('What is the capital of France?')],
    });

    const { producers, consumers, spans } = await traceOf(reply.inferenceId);

    // The inference server span is the root, and every other span hangs from it.
    const roots = spans.filter((span) => span.parentSpanId === undefined);
    expect(roots).toHaveLength(1);
    const [root] = roots;
    expect(root).toMatchObject({
      service: 'inference',
      kind: 'SERVER',
      name: expect.stringContaining('keel.inference.v1.InferenceService/Complete'),
    });
    for (const span of spans.filter((each) => each !== root)) {
      expect({ span: span.name, root: ancestorsOf(span, spans).at(-1)?.spanId }).toEqual({
        span: span.name,
        root: root.spanId,
      });
    }

    // Each provider attempt: a CLIENT span under the request, with the GenAI attributes.
    const attempts = spans.filter((span) => span.attributes['gen_ai.operation.name'] === 'chat');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      service: 'inference',
      kind: 'CLIENT',
      name: 'chat sim-small',
      attributes: expect.objectContaining({
        'gen_ai.provider.name': 'sim',
        'gen_ai.request.model': 'sim-small',
        'gen_ai.response.model': 'sim-small',
        'gen_ai.usage.input_tokens': Number(reply.usage!.inputTokens),
        'gen_ai.usage.output_tokens': Number(reply.usage!.outputTokens),
      }),
    });

    // The event leaves inside the request: its PRODUCER span is under the server span.
    for (const producer of producers) {
      expect(producer.service).toBe('inference');
      expect(ancestorsOf(producer, spans).map((span) => span.spanId)).toContain(root.spanId);
    }

    // Each consumer continues the trace from the message's traceparent, in its own process.
    expect(consumers.map((span) => span.service).sort()).toEqual(['billing', 'evaluation']);
    for (const consumer of consumers) {
      expect(consumer.name).toMatch(/^process .*inference\.completed$/);
    }
  });

  it('makes each try on the fallback chain a span, a failed one with its error.type', async () => {
    await clients.putFunction(cluster.adminKey(), {
      tenantId,
      functionName: 'fallback',
      variants: [
        { variantName: 'default', modelChain: ['sim-large', 'sim-small'], defaultMaxTokens: 64 },
      ],
      policy: { fixed: { variantName: 'default' } },
    });
    const reply = await eventually(
      () =>
        clients.complete(tenantKey, {
          functionName: 'fallback',
          messages: [userMessage('[sim:fail=sim-large] Which model answers?')],
        }),
      { what: 'the fallback function at inference' },
    );
    expect(reply.model).toBe('sim-small');

    const { spans } = await traceOf(reply.inferenceId);
    const root = spans.find((span) => span.parentSpanId === undefined);
    const attempts = spans.filter((span) => span.attributes['gen_ai.operation.name'] === 'chat');
    for (const attempt of attempts) {
      expect(ancestorsOf(attempt, spans).map((span) => span.spanId)).toContain(root?.spanId);
    }
    const failed = attempts.filter((span) => span.name === 'chat sim-large');
    const served = attempts.filter((span) => span.name === 'chat sim-small');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const attempt of failed) {
      expect(attempt).toMatchObject({
        kind: 'CLIENT',
        statusCode: 2,
        attributes: expect.objectContaining({
          'gen_ai.request.model': 'sim-large',
          'error.type': 'transient',
        }),
      });
      expect(attempt.attributes).not.toHaveProperty('gen_ai.response.model');
    }
    expect(served).toHaveLength(1);
    expect(served[0].attributes).toMatchObject({
      'gen_ai.response.model': 'sim-small',
      'gen_ai.usage.output_tokens': Number(reply.usage!.outputTokens),
    });
    expect(served[0].attributes).not.toHaveProperty('error.type');
  });
});
