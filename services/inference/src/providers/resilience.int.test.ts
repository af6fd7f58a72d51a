import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { durationToMs, inference, router } from '@keel/contracts';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually, uniqueName } from '@keel/testing';
import {
  INFERENCE,
  TestInference,
  type TestFunction,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';

// Retries, fallbacks, deadlines and circuit breakers through the real gRPC service, its real
// OpenAI-compatible adapter and the sim upstream over HTTP. Each test calls models of its own
// (the upstream counts requests by model, and each model has a circuit of its own).

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const SECRET_ENV = 'KEEL_RESILIENCE_TEST_UPSTREAM_KEY';
// Long enough for an answering model on a busy machine.
const ATTEMPT_TIMEOUT_MS = 1_000;
const BREAKER_OPEN_MS = 1_000;

/** A model of the sim upstream's provider; its provider model id is its name. */
const upstreamModel = (name: string): Partial<router.Model> => ({
  name,
  provider: 'upstream',
  providerModel: name,
  tier: router.ModelTier.MODEL_TIER_SMALL,
  contextWindow: 128_000n,
  maxOutputTokens: 4_096n,
  price: {
    inputNanoUsdPerMtok: 150_000_000n,
    outputNanoUsdPerMtok: 600_000_000n,
    cachedInputNanoUsdPerMtok: 75_000_000n,
  },
  tokenizer: 'o200k_base',
  capabilities: ['streaming'],
});

/** What an attempt says, in short: model, status, HTTP status, whether it was skipped. */
const summary = (attempts: inference.Attempt[]) =>
  attempts.map((a) => [a.model, a.status, a.httpStatus, a.skipped]);

describe('resilience over real gRPC and the sim upstream', () => {
  const tenantId = 'tenant-resilience';
  const key = testKey(tenantId, [INFERENCE]);
  // Each function's chain: a model that fails its own way, then one that answers.
  const functions: TestFunction[] = [
    { name: 'default', chain: ['ok-default'] },
    { name: 'on-500', chain: ['down-500', 'ok-500'] },
    { name: 'on-timeout', chain: ['hangs', 'ok-timeout'] },
    { name: 'on-429', chain: ['limited', 'ok-429'] },
    { name: 'on-429-long', chain: ['limited-long', 'ok-429-long'] },
    { name: 'on-400', chain: ['refuses', 'ok-400'] },
    { name: 'breaker', chain: ['flaky', 'ok-breaker'] },
    { name: 'deadline', chain: ['slow-a', 'slow-b'] },
    { name: 'stream-500', chain: ['stream-down', 'stream-ok'] },
  ];
  const models = [...new Set(functions.flatMap((fn) => fn.chain))].map(upstreamModel);
  let upstream: SimUpstream;
  let service: TestInference;
  let events: Map<string, inference.InferenceCompleted>;

  beforeAll(async () => {
    const secret = uniqueName('sk-test');
    process.env[SECRET_ENV] = secret;
    upstream = await startSimUpstream({ secret });
    service = await TestInference.start({
      KEEL_PROVIDER_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS),
      KEEL_PROVIDER_RETRIES: '2',
      KEEL_PROVIDER_BREAKER_FAILURE_RATIO: '0.5',
      KEEL_PROVIDER_BREAKER_WINDOW_MS: '60000',
      KEEL_PROVIDER_BREAKER_MIN_CALLS: '3',
      KEEL_PROVIDER_BREAKER_OPEN_MS: String(BREAKER_OPEN_MS),
    });
    events = await service.collectEvents();
    const provider: Partial<router.Provider> = {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
      secretEnv: SECRET_ENV,
    };
    await service.publish(
      policySnapshot(tenantId, functions, { providers: [provider], models }),
      keysSnapshot([key]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
  });

  afterAll(async () => {
    await service?.close();
    await upstream?.stop();
    delete process.env[SECRET_ENV];
  });

  const eventOf = (inferenceId: string) =>
    eventually(() => events.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });
  const requestsFor = (model: string) => upstream.counters().byModel[model] ?? 0;
  const ask = (functionName: string, text: string, deadlineMs?: number) =>
    service.complete(
      { functionName, messages: userAsks(text) },
      key.token,
      deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
    );

  it('falls back after 3 tries on a model answering 500, naming the model that served', async () => {
    const response = await ask('on-500', 'What is 2 + 2? [sim:status=500@down-500]');

    expect(response.model).toBe('ok-500');
    expect(response.text).not.toBe('');
    expect(summary(response.attempts)).toEqual([
      ['down-500', FAILED, 500, false],
      ['down-500', FAILED, 500, false],
      ['down-500', FAILED, 500, false],
      ['ok-500', OK, 0, false],
    ]);
    expect([requestsFor('down-500'), requestsFor('ok-500')]).toEqual([3, 1]);
    const event = await eventOf(response.inferenceId);
    expect(event.model).toBe('ok-500');
    expect(event.status).toBe(OK);
    expect(event.attempts).toEqual(response.attempts);
  });

  it('falls back after 3 tries on a model that does not answer within the try’s timeout', async () => {
    const response = await ask('on-timeout', 'What is 3 + 4? [sim:hang@hangs]');

    expect(response.model).toBe('ok-timeout');
    expect(response.attempts.map((a) => [a.model, a.status, a.errorMessage])).toEqual([
      ['hangs', FAILED, `timed out after ${ATTEMPT_TIMEOUT_MS} ms`],
      ['hangs', FAILED, `timed out after ${ATTEMPT_TIMEOUT_MS} ms`],
      ['hangs', FAILED, `timed out after ${ATTEMPT_TIMEOUT_MS} ms`],
      ['ok-timeout', OK, ''],
    ]);
    expect([requestsFor('hangs'), requestsFor('ok-timeout')]).toEqual([3, 1]);
    expect((await eventOf(response.inferenceId)).model).toBe('ok-timeout');
  });

  it('retries a 429 after its Retry-After and is served by the same model', async () => {
    const response = await ask(
      'on-429',
      'What is 5 + 6? [sim:fail-first=1,status=429,retry-after=1@limited]',
    );

    expect(response.model).toBe('limited');
    expect(summary(response.attempts)).toEqual([
      ['limited', FAILED, 429, false],
      ['limited', OK, 0, false],
    ]);
    expect([requestsFor('limited'), requestsFor('ok-429')]).toEqual([2, 0]);
    // The second attempt's latency runs from the end of the first: it includes the 1 s asked.
    expect(durationToMs(response.attempts[1].latency)).toBeGreaterThanOrEqual(1_000);
  });

  it('falls back at once when a 429’s Retry-After outlasts the caller’s deadline', async () => {
    const response = await ask(
      'on-429-long',
      'What is 7 + 8? [sim:status=429,retry-after=20@limited-long]',
      10_000,
    );

    expect(response.model).toBe('ok-429-long');
    expect(summary(response.attempts)).toEqual([
      ['limited-long', FAILED, 429, false],
      ['ok-429-long', OK, 0, false],
    ]);
    expect(response.attempts[0].errorMessage).toMatch(
      /not retried: Retry-After 20000 ms outlasts the \d+ ms left before the deadline$/,
    );
    expect(requestsFor('limited-long')).toBe(1);
  });

  it('does not retry a 400: it falls back after one try', async () => {
    const response = await ask('on-400', 'What is 9 + 1? [sim:status=400@refuses]');

    expect(response.model).toBe('ok-400');
    expect(summary(response.attempts)).toEqual([
      ['refuses', FAILED, 400, false],
      ['ok-400', OK, 0, false],
    ]);
    expect(requestsFor('refuses')).toBe(1);
  });

  it('opens a failing model’s circuit, skips it while open, probes it, and closes it', async () => {
    // Three outages of three tries: the circuit opens on the third.
    const opening = await ask('breaker', 'Count to three [sim:status=503@flaky]');
    expect(opening.model).toBe('ok-breaker');
    expect(requestsFor('flaky')).toBe(3);

    // Open: the model is skipped without a request, and the next one serves.
    const skipping = await ask('breaker', 'Count to four');
    expect(skipping.model).toBe('ok-breaker');
    expect(summary(skipping.attempts)).toEqual([
      ['flaky', FAILED, 0, true],
      ['ok-breaker', OK, 0, false],
    ]);
    expect(skipping.attempts[0].errorMessage).toBe(
      'circuit open: flaky on upstream failed repeatedly and is skipped until it recovers',
    );
    expect(requestsFor('flaky')).toBe(3);

    await sleep(BREAKER_OPEN_MS + 100); // the circuit's open time
    // Half-open: one probe goes through; it succeeds and closes the circuit.
    const probing = await ask('breaker', 'Count to five');
    expect(probing.model).toBe('flaky');
    expect(summary(probing.attempts)).toEqual([['flaky', OK, 0, false]]);
    const closed = await ask('breaker', 'Count to six');
    expect(closed.model).toBe('flaky');
    expect(requestsFor('flaky')).toBe(5);
    expect((await eventOf(skipping.inferenceId)).attempts[0].skipped).toBe(true);
  });

  it('ends the chain at the caller’s deadline, aborting the try in flight', async () => {
    // 1.6 s: the first try times out at 1 s, the second (after a backoff under 70 ms) is cut.
    const error = await ask('deadline', 'Take your time [sim:hang]', 1_600).catch((e) => e);

    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(requestsFor('slow-a')).toBe(2);
    expect(requestsFor('slow-b')).toBe(0);
    const event = await eventually(
      () => [...events.values()].find((e) => e.functionName === 'deadline'),
      { what: 'the deadline inference’s event' },
    );
    expect(event.model).toBe('');
    expect(event.attempts.map((a) => [a.model, a.errorMessage])).toEqual([
      ['slow-a', `timed out after ${ATTEMPT_TIMEOUT_MS} ms`],
      ['slow-a', 'the deadline passed while calling slow-a'],
    ]);
  });

  it('falls back a stream whose model fails before its first chunk', async () => {
    const { messages, status: ended } = await service.stream(
      {
        functionName: 'stream-500',
        messages: userAsks('Stream 1 + 1 [sim:status=500@stream-down]'),
      },
      key.token,
    );

    expect(ended.code).toBe(status.OK);
    const last = messages[messages.length - 1];
    expect(last.end?.model).toBe('stream-ok');
    expect(messages.filter((m) => m.delta).length).toBeGreaterThan(0);
    expect(summary(last.end?.attempts ?? [])).toEqual([
      ['stream-down', FAILED, 500, false],
      ['stream-down', FAILED, 500, false],
      ['stream-down', FAILED, 500, false],
      ['stream-ok', OK, 0, false],
    ]);
    expect(last.end?.attempts[3].timeToFirstToken).toBeDefined();
    expect([requestsFor('stream-down'), requestsFor('stream-ok')]).toEqual([3, 1]);
    expect((await eventOf(last.inferenceId)).model).toBe('stream-ok');
  });
});
