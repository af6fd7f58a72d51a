// Stream and the request path's parameters over real gRPC, JetStream and HTTP: the inference
// service calls the sim upstream as an OpenAI-compatible and as an Anthropic provider.
import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { costOf, countTokens, nanoUsd } from '@keel/catalog';
import { bucketsOf, common, inference, router } from '@keel/contracts';
import { eventually } from '@keel/testing';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import {
  INFERENCE,
  type StreamResult,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';
import { recordKey } from '../domain/idempotency';

const {
  INFERENCE_STATUS_OK: OK,
  INFERENCE_STATUS_PARTIAL: PARTIAL,
  INFERENCE_STATUS_CANCELLED: CANCELLED,
  INFERENCE_STATUS_FAILED: FAILED,
} = inference.InferenceStatus;
const { FINISH_REASON_STOP: STOP, FINISH_REASON_TOOL_CALLS: TOOL_CALLS } = inference.FinishReason;
const { PROVIDER_KIND_OPENAI_COMPATIBLE, PROVIDER_KIND_ANTHROPIC } = router.ProviderKind;

const SECRET_ENV = `KEEL_TEST_UPSTREAM_KEY_${randomBytes(3).toString('hex').toUpperCase()}`;
const SECRET = `sk-planted-${randomBytes(12).toString('hex')}`;
const price = {
  inputNanoUsdPerMtok: nanoUsd('1'),
  outputNanoUsdPerMtok: nanoUsd('2'),
  cachedInputNanoUsdPerMtok: nanoUsd('0.5'),
};
const ALL = ['streaming', 'tools', 'json_mode'];
const model = (name: string, provider: string, extra: Partial<router.Model> = {}) =>
  router.Model.fromPartial({
    name,
    provider,
    providerModel: name,
    contextWindow: 128_000n,
    maxOutputTokens: 4_096n,
    price,
    tokenizer: 'o200k_base',
    capabilities: ALL,
    ...extra,
  });
const models = [
  model('oa-small', 'up-openai'),
  model('an-small', 'up-anthropic'),
  model('oa-a', 'up-openai'),
  model('oa-b', 'up-openai'),
  model('oa-c', 'up-openai'),
  model('oa-tiny', 'up-openai', { contextWindow: 60n, maxOutputTokens: 50n }),
  model('oa-whole', 'up-openai', { capabilities: ['tools'] }),
];
const byName = new Map(models.map((m) => [m.name, m]));
const fn = (name: string, chain: string[]) => ({ name, chain });
const functions = [
  fn('oa.chat', ['oa-small']),
  fn('an.chat', ['an-small']),
  fn('oa.deadline', ['oa-a', 'oa-b', 'oa-c']),
  fn('oa.tiny', ['oa-tiny']),
  fn('oa.whole', ['oa-whole']),
  fn('sim.chat', ['sim-small']),
  fn('mixed.tools', ['sim-small', 'oa-small']),
  fn('idem.a', ['oa-small']),
  fn('idem.b', ['oa-small']),
  fn('idem.c', ['an-small']),
];
const LOOKUP = common.Tool.fromPartial({
  name: 'lookup_order',
  description: 'Finds an order by its id',
  parametersJsonSchema: JSON.stringify({
    type: 'object',
    properties: { order_id: { type: 'string' } },
    required: ['order_id'],
  }),
});

describe('InferenceService over the sim upstream (OpenAI-compatible and Anthropic)', () => {
  const tenantId = 'tenant-s';
  const key = testKey(tenantId, [INFERENCE]);
  let upstream: SimUpstream;
  let service: TestInference;
  let events: Map<string, inference.InferenceCompleted>;

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    upstream = await startSimUpstream({ secret: SECRET });
    service = await TestInference.start({
      KEEL_PROVIDER_ATTEMPT_TIMEOUT_MS: '400',
      KEEL_PROVIDER_RETRIES: '1',
    });
    events = await service.collectEvents();
    const providers = [
      {
        name: 'up-openai',
        kind: PROVIDER_KIND_OPENAI_COMPATIBLE,
        baseUrl: `${upstream.url}/v1`,
        secretEnv: SECRET_ENV,
      },
      {
        name: 'up-anthropic',
        kind: PROVIDER_KIND_ANTHROPIC,
        baseUrl: upstream.url,
        secretEnv: SECRET_ENV,
      },
    ];
    await service.publish(
      policySnapshot(tenantId, functions, { providers, models }),
      keysSnapshot([key]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
  });

  afterEach(() => upstream.configure({ tokensPerSecond: 0, ttftMs: 0 }));

  afterAll(async () => {
    await service?.close();
    await upstream?.stop();
    delete process.env[SECRET_ENV];
  });

  const eventOf = (inferenceId: string) =>
    eventually(() => events.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });
  const textOf = (result: StreamResult) =>
    result.messages.map((message) => message.delta?.text ?? '').join('');
  const endOf = (result: StreamResult) => result.messages.at(-1)?.end;
  const errorOf = (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error('expected the call to fail');
      },
      (error: { code: number; details: string }) => error,
    );
  const requestsFor = (name: string) => upstream.counters().byModel[name] ?? 0;

  it.each([
    ['OpenAI-compatible', 'oa.chat', 'oa-small'],
    ['Anthropic', 'an.chat', 'an-small'],
  ])(
    'streams %s text deltas, then an end with the usage the provider reported, after the event',
    async (_kind, functionName, served) => {
      const result = await service.stream(
        { functionName, messages: userAsks('How do I reset my password?'), tags: { team: 'a' } },
        key.token,
      );
      expect(result.status.code).toBe(status.OK);
      const deltas = result.messages.slice(0, -1);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.every((message) => message.delta !== undefined)).toBe(true);
      const inferenceId = result.messages[0].inferenceId;
      expect(result.messages.every((message) => message.inferenceId === inferenceId)).toBe(true);

      const end = endOf(result)!;
      expect(end).toMatchObject({ model: served, finishReason: STOP, idempotentReplay: false });
      expect(end.usage).toMatchObject({ estimated: false });
      expect(end.usage!.outputTokens).toBeGreaterThan(0n);
      expect(end.costNanoUsd).toBe(costOf(price, end.usage!));
      expect(end.timeToFirstToken).toBeDefined();
      expect(end.attempts.map((a) => [a.model, a.status])).toEqual([[served, OK]]);

      // The end is written only once the event is acknowledged: it is on the stream already.
      const event = events.get(inferenceId) ?? (await eventOf(inferenceId));
      expect(event).toMatchObject({
        status: OK,
        model: served,
        streamed: true,
        outputText: textOf(result),
        usage: end.usage,
        costNanoUsd: end.costNanoUsd,
        finishReason: STOP,
        tags: { team: 'a' },
      });
      expect(event.timeToFirstToken).toEqual(end.timeToFirstToken);
    },
  );

  it('ends a stream that fails after its first token with UNAVAILABLE, recorded PARTIAL and billed', async () => {
    const result = await service.stream(
      { functionName: 'oa.chat', messages: userAsks('Tell me a story [sim:fail-after=3]') },
      key.token,
    );
    expect(result.status.code).toBe(status.UNAVAILABLE);
    expect(result.status.details).toMatch(/oa-small' failed after its first token/);
    expect(result.messages.length).toBeGreaterThan(0);
    expect(result.messages.every((message) => message.end === undefined)).toBe(true);

    const event = await eventOf(result.messages[0].inferenceId);
    const delivered = textOf(result);
    expect(event).toMatchObject({ status: PARTIAL, model: 'oa-small', outputText: delivered });
    expect(event.usage).toMatchObject({
      estimated: true,
      outputTokens: BigInt((await countTokens(byName.get('oa-small')!, delivered)).tokens),
    });
    expect(event.usage!.inputTokens).toBeGreaterThan(0n);
    expect(event.costNanoUsd).toBe(costOf(price, event.usage!));
    expect(event.costNanoUsd).toBeGreaterThan(0n);
    expect(event.attempts.at(-1)).toMatchObject({ model: 'oa-small', status: PARTIAL });
  });

  it('bills a stream the caller cancels for the deltas delivered, marked estimated, CANCELLED', async () => {
    upstream.configure({ tokensPerSecond: 20 });
    const before = upstream.counters().requests;
    const result = await service.stream(
      { functionName: 'oa.chat', messages: userAsks('Explain streaming in detail please') },
      key.token,
      { onMessage: (_message, call) => call.cancel() },
    );
    expect(result.status.code).toBe(status.CANCELLED);
    const inferenceId = result.messages[0].inferenceId;

    const event = await eventOf(inferenceId);
    expect(event.status).toBe(CANCELLED);
    expect(event.outputText.startsWith(textOf(result))).toBe(true);
    expect(event.outputText).not.toBe('');
    expect(event.usage).toMatchObject({
      estimated: true,
      outputTokens: BigInt((await countTokens(byName.get('oa-small')!, event.outputText)).tokens),
    });
    expect(event.costNanoUsd).toBeGreaterThan(0n);
    expect(event.attempts).toEqual([expect.objectContaining({ status: CANCELLED })]);
    expect(upstream.counters().requests).toBe(before + 1);
  });

  it('bounds the whole chain by the caller’s deadline: DEADLINE_EXCEEDED, every attempt recorded', async () => {
    const before = upstream.counters().requests;
    const error = await errorOf(
      service.complete(
        { functionName: 'oa.deadline', messages: userAsks('Anyone there? [sim:hang]') },
        key.token,
        { deadline: Date.now() + 1_000 },
      ),
    );
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);

    const event = await eventually(
      () =>
        [...events.values()].find((e) => e.functionName === 'oa.deadline' && e.status === FAILED),
      { what: 'the event of the call the deadline cut' },
    );
    // 400 ms tries, 2 a model, 3 models: 2.4 s were the deadline per model; the chain stopped.
    expect(event.attempts.length).toBeGreaterThan(1);
    expect(event.attempts.length).toBeLessThan(6);
    expect(event.attempts.at(-1)!.errorMessage).toMatch(/deadline/);
    expect(event.model).toBe('');
    expect(upstream.counters().requests - before).toBe(event.attempts.length);
    expect(requestsFor('oa-c')).toBe(0);
  });

  it('refuses an input over the model’s context window before any call, naming the numbers', async () => {
    const before = upstream.counters().requests;
    const error = await errorOf(
      service.complete(
        { functionName: 'oa.tiny', messages: userAsks('word '.repeat(30)), maxTokens: 40 },
        key.token,
      ),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(
      /^messages: \d+ input tokens and max_tokens 40 make \d+, over the 60-token context window of model 'oa-tiny'$/,
    );
    expect(upstream.counters().requests).toBe(before);
  });

  it('refuses a request needing a capability no model of the chain has, before any call', async () => {
    const before = upstream.counters().requests;
    const tools = await errorOf(
      service.complete(
        { functionName: 'sim.chat', messages: userAsks('hi'), tools: [LOOKUP] },
        key.token,
      ),
    );
    expect(tools.code).toBe(status.FAILED_PRECONDITION);
    expect(tools.details).toBe(
      "no model of the chain can serve this request: model 'sim-small' lacks 'tools'",
    );
    const streamed = await service.stream(
      { functionName: 'oa.whole', messages: userAsks('hi') },
      key.token,
    );
    expect(streamed.status.code).toBe(status.FAILED_PRECONDITION);
    expect(streamed.status.details).toMatch(/model 'oa-whole' lacks 'streaming'/);
    expect(upstream.counters().requests).toBe(before);
  });

  it('leaves out of the chain a model lacking a needed capability', async () => {
    const response = await service.complete(
      { functionName: 'mixed.tools', messages: userAsks('Where is order 42?'), tools: [LOOKUP] },
      key.token,
    );
    expect(response.attempts.map((a) => a.model)).toEqual(['oa-small']);
  });

  it('refuses bad parameters with INVALID_ARGUMENT naming the field', async () => {
    const cases: Array<[Partial<inference.CompleteRequest>, RegExp]> = [
      [{ temperature: 2.5 }, /^temperature: /],
      [{ topP: -1 }, /^top_p: /],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, /^stop: /],
      [
        { tools: [{ ...LOOKUP, parametersJsonSchema: '[]' }] },
        /^tools\[0\]\.parameters_json_schema: /,
      ],
      [{ toolChoice: 'nothing' }, /^tool_choice: /],
    ];
    for (const [fields, message] of cases) {
      const error = await errorOf(
        service.complete(
          { functionName: 'oa.chat', messages: userAsks('hi'), ...fields },
          key.token,
        ),
      );
      expect([error.code, error.details]).toEqual([
        status.INVALID_ARGUMENT,
        expect.stringMatching(message),
      ]);
    }
    const orphan = common.ChatMessage.fromPartial({
      role: common.MessageRole.MESSAGE_ROLE_TOOL,
      content: '{"status":"shipped"}',
    });
    const error = await errorOf(
      service.complete(
        { functionName: 'oa.chat', messages: [...userAsks('hi'), orphan] },
        key.token,
      ),
    );
    expect(error.details).toMatch(/^messages\[1\]\.tool_call_id: /);
  });

  it.each([
    ['OpenAI-compatible', 'oa.chat'],
    ['Anthropic', 'an.chat'],
  ])(
    'round-trips tools through the %s adapter, unary and streamed',
    async (_kind, functionName) => {
      const ask = userAsks('Where is order A-42? [sim:tool=lookup_order]');
      const called = await service.complete(
        { functionName, messages: ask, tools: [LOOKUP] },
        key.token,
      );
      expect(called.finishReason).toBe(TOOL_CALLS);
      expect(called.toolCalls).toHaveLength(1);
      const [call] = called.toolCalls;
      expect(call.name).toBe('lookup_order');
      expect(JSON.parse(call.argumentsJson)).toHaveProperty('order_id');
      expect((await eventOf(called.inferenceId)).toolCalls).toEqual(called.toolCalls);

      const streamed = await service.stream(
        { functionName, messages: ask, tools: [LOOKUP] },
        key.token,
      );
      expect(streamed.status.code).toBe(status.OK);
      const deltaCalls = streamed.messages.flatMap((m) =>
        m.delta?.toolCall ? [m.delta.toolCall] : [],
      );
      expect(deltaCalls.map((c) => c.name)).toEqual(['lookup_order']);
      expect(endOf(streamed)).toMatchObject({ finishReason: TOOL_CALLS, toolCalls: deltaCalls });

      const answered = await service.complete(
        {
          functionName,
          tools: [LOOKUP],
          messages: [
            ...ask,
            common.ChatMessage.fromPartial({
              role: common.MessageRole.MESSAGE_ROLE_ASSISTANT,
              toolCalls: [call],
            }),
            common.ChatMessage.fromPartial({
              role: common.MessageRole.MESSAGE_ROLE_TOOL,
              toolCallId: call.id,
              content: 'shipped on Monday',
            }),
          ],
        },
        key.token,
      );
      expect(answered.finishReason).toBe(STOP);
      expect(answered.toolCalls).toEqual([]);
      expect(answered.text).toContain('shipped on Monday');
    },
  );

  it('answers a repeat of an idempotency key with the first result, from one provider call and one event', async () => {
    const request = {
      functionName: 'idem.a',
      messages: userAsks('Summarise my order'),
      idempotencyKey: 'order-7',
    };
    const before = requestsFor('oa-small');
    const first = await service.complete(request, key.token);
    const repeat = await service.complete(request, key.token);
    expect(repeat).toEqual({ ...first, idempotentReplay: true });
    expect(first.idempotentReplay).toBe(false);

    const replayed = await service.stream(request, key.token);
    expect(replayed.status.code).toBe(status.OK);
    expect(replayed.messages).toHaveLength(2);
    expect(replayed.messages.every((m) => m.inferenceId === first.inferenceId)).toBe(true);
    expect(textOf(replayed)).toBe(first.text);
    expect(endOf(replayed)).toMatchObject({
      idempotentReplay: true,
      usage: first.usage,
      costNanoUsd: first.costNanoUsd,
    });
    expect(requestsFor('oa-small') - before).toBe(1);

    await eventOf(first.inferenceId);
    expect([...events.values()].filter((e) => e.functionName === 'idem.a')).toHaveLength(1);

    const changed = await errorOf(
      service.complete({ ...request, messages: userAsks('Something else') }, key.token),
    );
    expect(changed.code).toBe(status.INVALID_ARGUMENT);
    expect(changed.details).toMatch(/^idempotency_key: was used for a different request/);
  });

  it('makes one provider call for two concurrent requests with the same key', async () => {
    upstream.configure({ ttftMs: 300 });
    const request = {
      functionName: 'idem.c',
      messages: userAsks('Check my refund'),
      idempotencyKey: 'refund-9',
    };
    const before = requestsFor('an-small');
    const [one, two] = await Promise.all([
      service.complete(request, key.token),
      service.stream(request, key.token),
    ]);
    const streamedEnd = endOf(two)!;
    expect(two.messages[0].inferenceId).toBe(one.inferenceId);
    expect([one.idempotentReplay, streamedEnd.idempotentReplay].sort()).toEqual([false, true]);
    expect(textOf(two)).toBe(one.text);
    expect(requestsFor('an-small') - before).toBe(1);
    await eventOf(one.inferenceId);
    expect([...events.values()].filter((e) => e.functionName === 'idem.c')).toHaveLength(1);
  });

  it('releases the key of a request that failed, so its retry runs', async () => {
    const request = {
      functionName: 'idem.b',
      messages: userAsks('Retry me [sim:fail-first=1,status=400]'),
      idempotencyKey: 'retry-1',
    };
    const failed = await errorOf(service.complete(request, key.token));
    expect(failed.code).toBe(status.UNAVAILABLE);
    const retried = await service.complete(request, key.token);
    expect(retried.idempotentReplay).toBe(false);
    expect(retried.text).not.toBe('');
  });

  it('sends the provider its secret, which no event, snapshot or idempotency record carries', async () => {
    expect(upstream.counters().unauthorized).toBe(0);
    expect(upstream.counters().answered).toBeGreaterThan(0);
    const stored = [...events.values()].map((event) =>
      Buffer.from(inference.InferenceCompleted.encode(event).finish()).toString('latin1'),
    );
    expect(stored.length).toBeGreaterThan(5);
    for (const text of stored) expect(text).not.toContain(SECRET);
    const claims = await service.bus.kv(bucketsOf(service.bus.prefix).idempotency);
    const claim = await claims.get(recordKey(tenantId, 'order-7'));
    expect(Buffer.from(claim!.value).toString('latin1')).not.toContain(SECRET);
    const policy = await service.buckets.policy.get('snapshot');
    expect(Buffer.from(policy!.value).toString('latin1')).toContain(SECRET_ENV);
    expect(Buffer.from(policy!.value).toString('latin1')).not.toContain(SECRET);
  });
});
