import { type Metadata, status } from '@grpc/grpc-js';
import { builtinCatalog, costOf, countTokens, findModel } from '@keel/catalog';
import { inference, router } from '@keel/contracts';
import { eventually } from '@keel/testing';
import {
  FEEDBACK,
  INFERENCE,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const catalog = builtinCatalog(1n);
const model = (name: string) => findModel(catalog, name) as router.Model;

describe('InferenceService/Complete over real gRPC and JetStream', () => {
  const tenantId = 'tenant-a';
  const key = testKey(tenantId, [INFERENCE]);
  const feedbackOnly = testKey(tenantId, [FEEDBACK]);
  const functions = [
    { name: 'support.answer', chain: ['sim-small'] },
    { name: 'support.fallback', chain: ['sim-small', 'sim-large'] },
    { name: 'support.short', chain: ['sim-small'], defaultMaxTokens: 5 },
    // Only the whole-chain failure test calls it, so its event is told apart by its function.
    { name: 'support.doomed', chain: ['sim-small', 'sim-large'] },
  ];
  let service: TestInference;
  let events: Map<string, inference.InferenceCompleted>;

  beforeAll(async () => {
    service = await TestInference.start();
    events = await service.collectEvents();
    // A catalog model whose provider is not configured: no adapter serves it.
    const orphan = { name: 'orphan', provider: 'unconfigured', providerModel: 'orphan' };
    await service.publish(
      policySnapshot(tenantId, functions, { models: [orphan] }),
      keysSnapshot([key, feedbackOnly]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
  });

  afterAll(async () => {
    await service.close();
  });

  const eventOf = (inferenceId: string) =>
    eventually(() => events.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });

  it('answers with text, the serving model, usage and cost, and publishes the inference', async () => {
    const messages = userAsks('How do I reset my password?');
    const response = await service.complete({ messages }, key.token);

    expect(response.inferenceId).toMatch(UUID_V7);
    expect(response.text).not.toBe('');
    expect(response).toMatchObject({
      model: 'sim-small',
      functionName: 'support.answer',
      variantName: 'support.answer.v1',
    });
    const simSmall = model('sim-small');
    expect(response.usage?.outputTokens).toBe(
      BigInt((await countTokens(simSmall, response.text)).tokens),
    );
    expect(response.usage?.inputTokens).toBeGreaterThan(0n);
    expect(response.costNanoUsd).toBe(costOf(simSmall.price!, response.usage!));
    expect(response.costNanoUsd).toBeGreaterThan(0n);

    const event = await eventOf(response.inferenceId);
    expect(event).toMatchObject({
      inferenceId: response.inferenceId,
      tenantId,
      functionName: 'support.answer',
      variantName: 'support.answer.v1',
      model: 'sim-small',
      usage: response.usage,
      costNanoUsd: response.costNanoUsd,
      catalogVersion: 1n,
      status: OK,
      outputText: response.text,
    });
    expect(event.policyVersion).toBeGreaterThan(0n);
    expect(event.attempts).toHaveLength(1);
    expect(event.attempts[0]).toMatchObject({
      model: 'sim-small',
      provider: 'sim',
      status: OK,
      usage: response.usage,
      costNanoUsd: response.costNanoUsd,
      errorMessage: '',
    });
    expect(event.occurredAt).toBeInstanceOf(Date);
    expect(event.latency).toBeDefined();

    const again = await service.complete({ messages }, key.token);
    expect(again.text).toBe(response.text);
    expect(again.inferenceId).not.toBe(response.inferenceId);
  });

  it('answers [sim:empty] with an empty text and 0 output tokens', async () => {
    const response = await service.complete(
      { messages: userAsks('Nothing [sim:empty]') },
      key.token,
    );
    expect(response.text).toBe('');
    expect(response.usage?.outputTokens).toBe(0n);
    expect(response.usage?.inputTokens).toBeGreaterThan(0n);
  });

  it('falls back to the next model when one fails, recording every try', async () => {
    const response = await service.complete(
      { functionName: 'support.fallback', messages: userAsks('Help [sim:fail=sim-small]') },
      key.token,
    );
    expect(response.model).toBe('sim-large');
    const event = await eventOf(response.inferenceId);
    expect(event.model).toBe('sim-large');
    // sim-small's transient failure is retried twice: each try is an attempt of its own.
    expect(event.attempts.map((a) => [a.model, a.status])).toEqual([
      ['sim-small', FAILED],
      ['sim-small', FAILED],
      ['sim-small', FAILED],
      ['sim-large', OK],
    ]);
    expect(event.attempts[0].errorMessage).toMatch(/sim-small is unavailable/);
    expect(event.costNanoUsd).toBe(event.attempts.reduce((sum, a) => sum + a.costNanoUsd, 0n));
    expect(response.costNanoUsd).toBe(event.costNanoUsd);
  });

  it('answers UNAVAILABLE naming every model when the whole chain fails, and still publishes it under the id its keel-inference-id trailer names', async () => {
    const error = await service
      .complete(
        { functionName: 'support.doomed', messages: userAsks('Help [sim:fail]') },
        key.token,
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    const details = (error as { details: string }).details;
    expect(details).toMatch(/every model of the chain failed: sim-small \(.*\); sim-large \(.*\)/);

    const failed = await eventually(
      () => [...events.values()].find((e) => e.functionName === 'support.doomed'),
      { what: 'the InferenceCompleted of the failed call' },
    );
    expect(failed).toMatchObject({ status: FAILED, model: '', outputText: '', costNanoUsd: 0n });
    const trailers = (error as { metadata: Metadata }).metadata;
    expect(trailers.get('keel-inference-id')).toEqual([failed.inferenceId]);
    expect(failed.attempts.map((a) => [a.model, a.status])).toEqual([
      ...Array(3).fill(['sim-small', FAILED]),
      ...Array(3).fill(['sim-large', FAILED]),
    ]);
  });

  it('serves the model a request pins, instead of the chain', async () => {
    const response = await service.complete(
      { model: 'sim-large', messages: userAsks('Pinned') },
      key.token,
    );
    expect(response).toMatchObject({ model: 'sim-large', functionName: 'support.answer' });
    const event = await eventOf(response.inferenceId);
    expect(event.attempts.map((a) => a.model)).toEqual(['sim-large']);
  });

  it('fails a pinned model no adapter serves as UNAVAILABLE, saying why', async () => {
    await expect(
      service.complete({ model: 'orphan', messages: userAsks('Hi') }, key.token),
    ).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: expect.stringContaining("orphan (no adapter serves provider 'unconfigured')"),
    });
  });

  it('bounds the answer by max_tokens, or by the variant default when it is 0', async () => {
    const capped = await service.complete(
      { messages: userAsks('Tell me everything about invoices'), maxTokens: 3 },
      key.token,
    );
    expect(capped.usage?.outputTokens).toBeLessThanOrEqual(3n);
    const byDefault = await service.complete(
      { functionName: 'support.short', messages: userAsks('Tell me everything about invoices') },
      key.token,
    );
    expect(byDefault.usage?.outputTokens).toBeLessThanOrEqual(5n);
    expect(byDefault.usage?.outputTokens).toBeGreaterThan(0n);
  });

  it.each([
    ['no messages', { messages: [] }, 'messages: must not be empty'],
    ['an empty message', { messages: userAsks('') }, 'messages[0].content: must not be empty'],
    [
      'a negative max_tokens',
      { messages: userAsks('Hi'), maxTokens: -1 },
      'max_tokens: must be between 0 and 16384',
    ],
    [
      'an oversized max_tokens',
      { messages: userAsks('Hi'), maxTokens: 16_385 },
      'max_tokens: must be between 0 and 16384',
    ],
  ])('answers INVALID_ARGUMENT to %s, naming the field', async (_, request, details) => {
    await expect(service.complete(request, key.token)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details,
    });
  });

  it('answers UNAUTHENTICATED without a key or with a wrong one', async () => {
    await expect(service.complete({ messages: userAsks('Hi') }, null)).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    const forged = key.token.replace(/_[0-9a-f]{64}$/, `_${'0'.repeat(64)}`);
    await expect(service.complete({ messages: userAsks('Hi') }, forged)).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it('answers PERMISSION_DENIED to a key without the inference scope', async () => {
    await expect(
      service.complete({ messages: userAsks('Hi') }, feedbackOnly.token),
    ).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      details: expect.stringContaining("'inference' scope"),
    });
  });

  it('answers NOT_FOUND for a function the tenant does not have', async () => {
    await expect(
      service.complete({ functionName: 'nope', messages: userAsks('Hi') }, key.token),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
  });
});
