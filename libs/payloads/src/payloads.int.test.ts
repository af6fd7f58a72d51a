import { type Bus, PoisonMessageError, connectBus } from '@keel/bus';
import { bucketsOf, common, inference, payloadsMaxAgeMs } from '@keel/contracts';
import { testServers, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import pino from 'pino';
import { InferencePayloads, MISSING_PAYLOAD_GRACE_MS, PayloadMissingError } from './index';

const user = (content: string) =>
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content });

let bus: Bus;
let clock = Date.now();
let payloads: InferencePayloads;

beforeAll(async () => {
  bus = await connectBus({
    servers: testServers().natsUrl,
    name: 'payloads-test',
    prefix: uniqueName('t'),
    logger: pino({ level: 'silent' }),
  });
  payloads = await InferencePayloads.open(bus, () => clock);
});

afterAll(async () => {
  await (await new Objm(bus.connection).open(bucketsOf(bus.prefix).payloads)).destroy();
  await bus.drain();
});

const completed = (text: { messages: string[]; output: string }) =>
  inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inf'),
    tenantId: 'tenant-a',
    inputMessages: text.messages.map(user),
    outputText: text.output,
    occurredAt: new Date(clock),
  });

// 400,000 characters, most of them 3 bytes in UTF-8: 1.04 MB, over NATS's 1 MB default.
const largeInput = '語彙語彙 '.repeat(80_000);

describe('InferencePayloads', () => {
  it('creates its bucket with a max age a day past the inference stream', async () => {
    const status = await (
      await new Objm(bus.connection).open(bucketsOf(bus.prefix).payloads)
    ).status();
    expect(status.ttl).toBe(payloadsMaxAgeMs(bus.prefix) * 1_000_000);
  });

  it('leaves an event whose text fits inline unchanged, storing nothing', async () => {
    const event = completed({ messages: ['How do I reset my password?'], output: 'Click Reset.' });
    expect(await payloads.offload(event)).toBe(event);
    expect(await payloads.read(event)).toEqual({
      inputMessages: event.inputMessages,
      outputText: 'Click Reset.',
      renderedContext: '',
    });
    const store = await new Objm(bus.connection).open(bucketsOf(bus.prefix).payloads);
    expect(await store.info(event.inferenceId)).toBeNull();
  });

  it('stores a large rendered context with the text, keeping the chunk ids in the event', async () => {
    const context = `[1] ${'A passage of the handbook. '.repeat(3_000)}`;
    const event = {
      ...completed({ messages: ['What does the handbook say?'], output: 'It says so.' }),
      retrieval: inference.RetrievedContext.fromPartial({
        collection: 'handbook',
        chunkIds: ['doc#0'],
        renderedContext: context,
      }),
    };
    const slim = await payloads.offload(event);

    expect(slim.payload).toBeDefined();
    expect(slim.retrieval).toMatchObject({ chunkIds: ['doc#0'], renderedContext: '' });
    expect((await payloads.read(slim)).renderedContext).toBe(context);
  });

  it('stores a large text, references it from a small event, and reads it back exactly', async () => {
    const event = completed({ messages: ['Summarise this:', largeInput], output: 'A summary.' });
    const slim = await payloads.offload(event);

    expect(slim.inputMessages).toEqual([]);
    expect(slim.outputText).toBe('');
    expect(slim.payload).toMatchObject({
      bucket: bucketsOf(bus.prefix).payloads,
      object: event.inferenceId,
    });
    expect(slim.payload!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(slim.payload!.contentEncoding).toBe('gzip');
    // Stored compressed: the reference gives the stored object's size.
    const store = await new Objm(bus.connection).open(bucketsOf(bus.prefix).payloads);
    const stored = await store.info(event.inferenceId);
    expect(BigInt(stored!.size)).toBe(slim.payload!.sizeBytes);
    expect(slim.payload!.sizeBytes).toBeLessThan(BigInt(Buffer.byteLength(largeInput)));
    expect(inference.InferenceCompleted.encode(slim).finish().length).toBeLessThan(1_024);

    const text = await payloads.read(slim);
    expect(text.outputText).toBe('A summary.');
    expect(text.inputMessages).toEqual(event.inputMessages);
    expect(text.inputMessages[1].content === largeInput).toBe(true);
  });

  it('returns the reference inline, and stores it with a text stored apart', async () => {
    const reference = inference.Reference.fromPartial({
      answer: '42',
      context: ['The answer is 42.'],
    });
    const small = {
      ...completed({ messages: ['What is six times seven?'], output: '42' }),
      reference,
    };
    expect(await payloads.offload(small)).toBe(small);
    expect((await payloads.read(small)).reference).toEqual(reference);

    const large = { ...completed({ messages: [largeInput], output: '42' }), reference };
    const slim = await payloads.offload(large);
    expect(slim.reference).toBeUndefined();
    expect((await payloads.read(slim)).reference).toEqual(reference);
  });

  it('stores again harmlessly when a publish is retried', async () => {
    const event = completed({ messages: [largeInput], output: 'once' });
    const first = await payloads.offload(event);
    const second = await payloads.offload(event);
    expect(second.payload).toEqual(first.payload);
    expect((await payloads.read(first)).outputText).toBe('once');
  });

  it('calls a missing payload a retry within the grace period, and poison after it', async () => {
    const event = completed({ messages: [largeInput], output: 'gone' });
    const slim = await payloads.offload(event);
    const store = await new Objm(bus.connection).open(bucketsOf(bus.prefix).payloads);
    await store.delete(event.inferenceId);

    await expect(payloads.read(slim)).rejects.toBeInstanceOf(PayloadMissingError);
    clock += MISSING_PAYLOAD_GRACE_MS;
    await expect(payloads.read(slim)).rejects.toThrow(PoisonMessageError);
    await expect(payloads.read(slim)).rejects.toThrow(/is still missing 300 s after the event/);
  });

  it('calls a reference to a bucket that does not exist missing', async () => {
    const slim = await payloads.offload(completed({ messages: [largeInput], output: '' }));
    const elsewhere = { ...slim, payload: { ...slim.payload!, bucket: uniqueName('nobucket') } };
    await expect(payloads.read(elsewhere)).rejects.toBeInstanceOf(PayloadMissingError);
  });

  it('calls a payload that does not match its reference poison', async () => {
    const slim = await payloads.offload(completed({ messages: [largeInput], output: '' }));
    const wrong = { ...slim, payload: { ...slim.payload!, sha256: '0'.repeat(64) } };
    await expect(payloads.read(wrong)).rejects.toThrow(PoisonMessageError);
    await expect(payloads.read(wrong)).rejects.toThrow(/does not match its reference/);
  });
});

describe('the payloads bucket', () => {
  it('is re-created when it was deleted while a producer runs', async () => {
    const jsm = await jetstreamManager(bus.connection);
    await jsm.streams.delete(`OBJ_${bucketsOf(bus.prefix).payloads}`);
    const event = completed({ messages: [largeInput], output: 'after' });
    const slim = await payloads.offload(event);
    expect((await payloads.read(slim)).outputText).toBe('after');
  });
});
