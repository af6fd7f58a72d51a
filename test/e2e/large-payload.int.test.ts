// An input too large to travel in its event: inference stores it before publishing, the event
// carries a reference, and evaluation reads it back through the reference. Every service is a
// real process on the real servers.
import { type Bus, connectBus } from '@keel/bus';
import {
  INFERENCE_TEXT_INLINE_MAX_BYTES,
  bucketsOf,
  durableNameOf,
  events,
  inference,
} from '@keel/contracts';
import { InferencePayloads } from '@keel/payloads';
import { eventually, uniqueName } from '@keel/testing';
import { Objm } from '@nats-io/obj';
import pino from 'pino';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, userMessage, type Clients } from '../support/clients';

jest.setTimeout(180_000);

// 400,000 characters (the input limit), 3 bytes each in UTF-8: 1.2 MB, over NATS's 1 MB
// default message size, yet 85,000 tokens, within sim-small's context window.
const LARGE_INPUT = 'こんにちは'.repeat(80_000);

describe('an inference too large for its event', () => {
  let cluster: Cluster;
  let clients: Clients;
  let tenantKey: string;
  let bus: Bus;
  const published = new Map<string, inference.InferenceCompleted>();

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference', 'evaluation']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    tenantKey = (await clients.createTenant(cluster.adminKey(), 'acme')).apiKeySecret;
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'large-payload-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.consume(events.inferenceCompleted, {
      durable: durableNameOf(uniqueName('test'), events.inferenceCompleted),
      handler: async (event) => void published.set(event.inferenceId, event),
    });
  });

  afterAll(async () => {
    clients?.close();
    await bus?.drain();
    await cluster?.shutdown();
  });

  const complete = (...contents: string[]) =>
    eventually(() => clients.complete(tenantKey, { messages: contents.map(userMessage) }), {
      what: 'Complete with the new key',
      timeoutMs: 60_000,
    });
  const eventOf = (inferenceId: string) =>
    eventually(() => published.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });
  const evaluationsOf = (inferenceId: string) =>
    eventually(
      async () => {
        const found = await cluster
          .db('evaluation')
          .collection('evaluations')
          .find({ inference_id: inferenceId })
          .sort({ evaluator: 1 })
          .toArray();
        return found.length === 2 ? found : null;
      },
      { what: `both evaluations of ${inferenceId}`, timeoutMs: 60_000 },
    );

  it('publishes a small event referencing the stored text, which reads back exactly', async () => {
    const reply = await complete(LARGE_INPUT);
    expect(reply.text).not.toBe('');

    const event = await eventOf(reply.inferenceId);
    const size = inference.InferenceCompleted.encode(event).finish().length;
    expect(size).toBeLessThan(INFERENCE_TEXT_INLINE_MAX_BYTES);
    expect(event.inputMessages).toEqual([]);
    expect(event.outputText).toBe('');
    expect(event.payload).toMatchObject({
      bucket: bucketsOf(cluster.prefix).payloads,
      object: reply.inferenceId,
    });

    const text = await (await InferencePayloads.open(bus)).read(event);
    expect(text.inputMessages.map((message) => message.content)).toEqual([LARGE_INPUT]);
    expect(text.outputText).toBe(reply.text);

    // Evaluation could score the answer only by reading it through the reference: the event
    // itself carries no text, which would score as empty.
    const stored = await evaluationsOf(reply.inferenceId);
    expect(stored.map((doc) => [doc.evaluator, doc.score])).toEqual([
      ['length@1', 1],
      ['non_empty@1', 1],
    ]);
  });

  it('keeps a normal request inline, with its input, and stores nothing for it', async () => {
    const reply = await complete('Be brief.', 'What is a glossary?');
    const event = await eventOf(reply.inferenceId);

    expect(event.payload).toBeUndefined();
    expect(event.outputText).toBe(reply.text);
    expect(event.inputMessages.map((message) => message.content)).toEqual([
      'Be brief.',
      'What is a glossary?',
    ]);
    const bucket = await new Objm(bus.connection).open(bucketsOf(cluster.prefix).payloads);
    expect(await bucket.info(reply.inferenceId)).toBeNull();
    expect((await evaluationsOf(reply.inferenceId)).map((doc) => doc.score)).toEqual([1, 1]);
  });
});
