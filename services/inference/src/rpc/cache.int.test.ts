// The exact cache over real gRPC, JetStream, NATS KV and HTTP: the inference service calls the
// sim upstream as an OpenAI-compatible provider, whose request counts show when a model was
// called and when an answer came from the cache.
import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { nanoUsd } from '@keel/catalog';
import { common, durationFromMs, inference, router } from '@keel/contracts';
import { eventually } from '@keel/testing';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import {
  INFERENCE,
  type StreamResult,
  type TestFunction,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_PARTIAL: PARTIAL } = inference.InferenceStatus;
const { PROVIDER_KIND_OPENAI_COMPATIBLE } = router.ProviderKind;

const SECRET_ENV = `KEEL_TEST_UPSTREAM_KEY_${randomBytes(3).toString('hex').toUpperCase()}`;
const SECRET = `sk-planted-${randomBytes(12).toString('hex')}`;
const model = (name: string) =>
  router.Model.fromPartial({
    name,
    provider: 'up-openai',
    providerModel: name,
    contextWindow: 128_000n,
    maxOutputTokens: 4_096n,
    price: { inputNanoUsdPerMtok: nanoUsd('1'), outputNanoUsdPerMtok: nanoUsd('2') },
    tokenizer: 'o200k_base',
    capabilities: ['streaming', 'tools'],
  });
const models = [model('oa-small'), model('oa-large')];
const minute = { ttl: durationFromMs(60_000) };
const functions = (replacedChain = ['oa-small']): TestFunction[] => [
  { name: 'cached', chain: ['oa-small'], cache: minute },
  { name: 'uncached', chain: ['oa-small'] },
  { name: 'short', chain: ['oa-small'], cache: { ttl: durationFromMs(1_000) } },
  { name: 'replaced', chain: replacedChain, cache: minute },
  {
    name: 'private',
    chain: ['oa-small'],
    cache: minute,
    guardrails: router.Guardrails.fromPartial({ pii: { types: [] } }),
  },
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

describe('the exact cache', () => {
  const tenants = ['tenant-c1', 'tenant-c2'];
  const key = testKey(tenants[0], [INFERENCE]);
  const otherTenantKey = testKey(tenants[1], [INFERENCE]);
  let upstream: SimUpstream;
  let service: TestInference;
  let events: Map<string, inference.InferenceCompleted>;

  /** Both tenants own the same functions, by the same names. */
  const snapshotOf = (replacedChain?: string[]) => {
    const operator = {
      providers: [
        {
          name: 'up-openai',
          kind: PROVIDER_KIND_OPENAI_COMPATIBLE,
          baseUrl: `${upstream.url}/v1`,
          secretEnv: SECRET_ENV,
        },
      ],
      models,
    };
    const [first, second] = tenants.map((tenantId) =>
      router.PolicySnapshot.decode(policySnapshot(tenantId, functions(replacedChain), operator)),
    );
    return router.PolicySnapshot.encode({
      ...first,
      tenants: [...first.tenants, ...second.tenants],
    }).finish();
  };

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    upstream = await startSimUpstream({ secret: SECRET });
    service = await TestInference.start();
    events = await service.collectEvents();
    await service.publish(snapshotOf(), keysSnapshot([key, otherTenantKey]));
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
  });

  afterAll(async () => {
    await service?.close();
    await upstream?.stop();
    delete process.env[SECRET_ENV];
  });

  /** A question no other test asks, so each test starts with nothing cached. */
  const question = () => userAsks(`What does order ${randomBytes(4).toString('hex')} contain?`);
  const calls = () => upstream.counters().requests;
  const eventOf = (inferenceId: string) =>
    eventually(() => events.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });
  const ask = (
    functionName: string,
    messages: common.ChatMessage[],
    extra: Partial<inference.CompleteRequest> = {},
    token = key.token,
  ) => service.complete({ functionName, messages, ...extra }, token);
  const textOf = (result: StreamResult) =>
    result.messages.map((message) => message.delta?.text ?? '').join('');

  it('answers a repeat from the cache: no model call, cost 0, the original usage, the saving', async () => {
    const messages = question();
    const before = calls();
    const first = await ask('cached', messages);
    expect(calls()).toBe(before + 1);
    expect(first.cacheHit).toBeUndefined();
    expect(first.costNanoUsd).toBeGreaterThan(0n);

    const second = await ask('cached', messages, { tags: { try: '2' }, episodeId: 'e-2' });
    expect(calls()).toBe(before + 1);
    expect(second.inferenceId).not.toBe(first.inferenceId);
    expect(second).toMatchObject({
      text: first.text,
      model: first.model,
      usage: first.usage,
      finishReason: first.finishReason,
      costNanoUsd: 0n,
      attempts: [],
      cacheHit: { sourceInferenceId: first.inferenceId, savedNanoUsd: first.costNanoUsd },
    });

    const event = await eventOf(second.inferenceId);
    expect(event).toMatchObject({
      status: OK,
      model: first.model,
      outputText: first.text,
      usage: first.usage,
      costNanoUsd: 0n,
      attempts: [],
      tags: { try: '2' },
      episodeId: 'e-2',
      cacheHit: { sourceInferenceId: first.inferenceId, savedNanoUsd: first.costNanoUsd },
    });
    expect((await eventOf(first.inferenceId)).cacheHit).toBeUndefined();
  });

  it('misses on another question, and never caches a function without a cache policy', async () => {
    const before = calls();
    await ask('cached', question());
    await ask('cached', question());
    const messages = question();
    const first = await ask('uncached', messages);
    const second = await ask('uncached', messages);
    expect(calls()).toBe(before + 4);
    expect(second.cacheHit).toBeUndefined();
    expect(second.inferenceId).not.toBe(first.inferenceId);
  });

  it('a request that bypasses the cache neither reads it nor writes it', async () => {
    const stored = question();
    await ask('cached', stored);
    const before = calls();
    const bypassing = await ask('cached', stored, { bypassCache: true });
    expect(calls()).toBe(before + 1);
    expect(bypassing.cacheHit).toBeUndefined();

    const unstored = question();
    await ask('cached', unstored, { bypassCache: true });
    const after = await ask('cached', unstored);
    expect(calls()).toBe(before + 3);
    expect(after.cacheHit).toBeUndefined();
  });

  it('misses once the entry’s ttl has passed', async () => {
    const messages = question();
    const first = await ask('short', messages);
    const hit = await ask('short', messages);
    expect(hit.cacheHit?.sourceInferenceId).toBe(first.inferenceId);
    const before = calls();
    const expired = await eventually(
      async () => {
        const again = await ask('short', messages);
        return again.cacheHit ? null : again;
      },
      { what: 'a miss after the 1 s ttl', intervalMs: 200 },
    );
    expect(calls()).toBe(before + 1);
    expect(expired.inferenceId).not.toBe(first.inferenceId);
  });

  it('misses once the function’s variant is replaced', async () => {
    const messages = question();
    const first = await ask('replaced', messages);
    expect((await ask('replaced', messages)).cacheHit).toBeDefined();
    await service.publish(snapshotOf(['oa-large']), null);
    const largeBefore = upstream.counters().byModel['oa-large'] ?? 0;
    // Hits while the old snapshot is in force; the first answer under the new variant is a miss.
    const replaced = await eventually(
      async () => {
        const again = await ask('replaced', messages);
        return again.model === 'oa-large' ? again : null;
      },
      { what: 'an answer of the replaced variant' },
    );
    expect(replaced.cacheHit).toBeUndefined();
    expect(upstream.counters().byModel['oa-large']).toBe(largeBefore + 1);
    expect(first.model).toBe('oa-small');
    await service.publish(snapshotOf(), null);
  });

  it('streams a hit as one text delta and the end, with cache_hit, after its event', async () => {
    const messages = question();
    const before = calls();
    const miss = await service.stream({ functionName: 'cached', messages }, key.token);
    expect(miss.status.code).toBe(status.OK);
    const missEnd = miss.messages.at(-1)!.end!;
    expect(missEnd.cacheHit).toBeUndefined();
    const sourceId = miss.messages[0].inferenceId;

    const hit = await service.stream({ functionName: 'cached', messages }, key.token);
    expect(calls()).toBe(before + 1);
    expect(hit.status.code).toBe(status.OK);
    expect(hit.messages.map((m) => (m.delta ? 'delta' : 'end'))).toEqual(['delta', 'end']);
    expect(textOf(hit)).toBe(textOf(miss));
    const hitId = hit.messages[0].inferenceId;
    expect(hitId).not.toBe(sourceId);
    expect(hit.messages[1].end).toMatchObject({
      model: missEnd.model,
      usage: missEnd.usage,
      costNanoUsd: 0n,
      cacheHit: { sourceInferenceId: sourceId, savedNanoUsd: missEnd.costNanoUsd },
    });
    expect(events.get(hitId) ?? (await eventOf(hitId))).toMatchObject({
      streamed: true,
      costNanoUsd: 0n,
      cacheHit: { sourceInferenceId: sourceId },
    });

    // The streamed answer serves Complete too.
    const unary = await ask('cached', messages);
    expect(calls()).toBe(before + 1);
    expect(unary).toMatchObject({ text: textOf(miss), cacheHit: { sourceInferenceId: sourceId } });
  });

  it('streams a hit with tool calls as a delta per call and the end', async () => {
    const messages = userAsks(
      `Where is order ${randomBytes(4).toString('hex')}? [sim:tool=lookup_order]`,
    );
    const first = await ask('cached', messages, { tools: [LOOKUP] });
    expect(first.toolCalls).toHaveLength(1);
    const before = calls();
    const hit = await service.stream(
      { functionName: 'cached', messages, tools: [LOOKUP] },
      key.token,
    );
    expect(calls()).toBe(before);
    const deltaCalls = hit.messages.flatMap((m) => (m.delta?.toolCall ? [m.delta.toolCall] : []));
    expect(deltaCalls).toEqual(first.toolCalls);
    expect(hit.messages.at(-1)?.end).toMatchObject({
      finishReason: first.finishReason,
      toolCalls: first.toolCalls,
      cacheHit: { sourceInferenceId: first.inferenceId },
    });
    // Without the tools, it is another request.
    await ask('cached', messages);
    expect(calls()).toBe(before + 1);
  });

  it('does not cache a stream that failed part-way', async () => {
    const messages = userAsks(
      `Tell me a story ${randomBytes(4).toString('hex')} [sim:fail-after=3]`,
    );
    const before = calls();
    const partial = await service.stream({ functionName: 'cached', messages }, key.token);
    expect(partial.status.code).toBe(status.UNAVAILABLE);
    expect((await eventOf(partial.messages[0].inferenceId)).status).toBe(PARTIAL);
    await service.stream({ functionName: 'cached', messages }, key.token);
    expect(calls()).toBe(before + 2);
  });

  it('keeps tenants apart: the same function and question of another tenant misses', async () => {
    const messages = question();
    const first = await ask('cached', messages);
    const before = calls();
    const other = await ask('cached', messages, {}, otherTenantKey.token);
    expect(calls()).toBe(before + 1);
    expect(other.cacheHit).toBeUndefined();
    // Each tenant then hits its own entry.
    expect((await ask('cached', messages)).cacheHit?.sourceInferenceId).toBe(first.inferenceId);
    const again = await ask('cached', messages, {}, otherTenantKey.token);
    expect(again.cacheHit?.sourceInferenceId).toBe(other.inferenceId);
  });

  it('an idempotent repeat gets its first answer; another key gets a cache hit', async () => {
    const messages = question();
    const first = await ask('cached', messages, { idempotencyKey: 'idem-1' });
    const before = calls();
    const replay = await ask('cached', messages, { idempotencyKey: 'idem-1' });
    expect(replay).toMatchObject({ inferenceId: first.inferenceId, idempotentReplay: true });
    expect(replay.cacheHit).toBeUndefined();
    const hit = await ask('cached', messages, { idempotencyKey: 'idem-2' });
    expect(hit.cacheHit?.sourceInferenceId).toBe(first.inferenceId);
    expect(calls()).toBe(before);
  });

  it('does not store an answer whose input held personal data; stores one without', async () => {
    const order = randomBytes(4).toString('hex');
    const personal = userAsks(`I am jane.doe@example.com: where is order ${order}?`);
    const before = calls();
    const first = await ask('private', personal);
    expect((await eventOf(first.inferenceId)).guardrails?.inputPiiCounts).toEqual({
      EMAIL_ADDRESS: 1,
    });
    const second = await ask('private', personal);
    expect(second.cacheHit).toBeUndefined();
    expect(calls()).toBe(before + 2);

    const plain = userAsks(`Where is order ${order}?`);
    const stored = await ask('private', plain);
    const hit = await ask('private', plain);
    expect(calls()).toBe(before + 3);
    expect(hit.cacheHit?.sourceInferenceId).toBe(stored.inferenceId);
  });

  it('a second inference process, with its own LRU, hits the shared store', async () => {
    const second = await TestInference.start({ KEEL_BUS_PREFIX: service.bus.prefix });
    try {
      await eventually(async () => (await second.health()) === 'SERVING', { what: 'SERVING' });
      const messages = question();
      const first = await ask('cached', messages);
      const before = calls();
      const hit = await second.complete({ functionName: 'cached', messages }, key.token);
      expect(calls()).toBe(before);
      expect(hit.cacheHit?.sourceInferenceId).toBe(first.inferenceId);
      expect(hit.text).toBe(first.text);
    } finally {
      await second.close();
    }
  });
});
