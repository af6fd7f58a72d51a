// Rate limits over real gRPC and a real NATS KV bucket: a tenant over its requests per minute
// is refused RESOURCE_EXHAUSTED with the time to the window's end in the trailers; a function's
// own limit holds that function alone; output tokens count once the answer is known.
import { type ServiceError, status } from '@grpc/grpc-js';
import { eventually, windowWithTimeLeft } from '@keel/testing';
import { TestInference, keysSnapshot, userAsks } from '../app.fixture';
import { limitedTenant as tenant, limitsSnapshot } from '../rate-limit/rate-limit.fixture';
import { RETRY_AFTER_TRAILER } from '../rate-limit/step';
import { WINDOW_MS } from '../rate-limit/window';

async function outcome(promise: Promise<unknown>): Promise<'ok' | ServiceError> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error as ServiceError;
  }
}

describe('rate limits through Complete and Stream', () => {
  let app: TestInference;
  const unlimited = tenant(undefined, [{ name: 'default' }]);
  const tenantWide = tenant({ requestsPerMinute: 4n }, [{ name: 'default' }]);
  const tenantWideStream = tenant({ requestsPerMinute: 2n }, [{ name: 'default' }]);
  const perFunction = tenant({ requestsPerMinute: 100n }, [
    { name: 'free' },
    { name: 'limited', rateLimit: { requestsPerMinute: 2n } },
  ]);
  const byTokens = tenant({ tokensPerMinute: 200n }, [{ name: 'default' }]);
  const all = [unlimited, tenantWide, tenantWideStream, perFunction, byTokens];

  beforeAll(async () => {
    app = await TestInference.start();
    await app.publish(limitsSnapshot(all), keysSnapshot(all.map((setup) => setup.key)));
    await eventually(() => app.complete({ messages: userAsks('ready?') }, unlimited.key.token), {
      what: 'the snapshots to reach inference',
    });
    // Every test below runs within one window.
    await windowWithTimeLeft(WINDOW_MS, 20_000);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('refuses Complete over the tenant’s requests per minute with RESOURCE_EXHAUSTED naming it and retry-after-ms in the trailers', async () => {
    const results = [];
    for (let i = 0; i < 6; i++) {
      results.push(
        await outcome(app.complete({ messages: userAsks(`q${i}`) }, tenantWide.key.token)),
      );
    }
    expect(results.slice(0, 4)).toEqual(['ok', 'ok', 'ok', 'ok']);
    for (const refused of results.slice(4) as ServiceError[]) {
      expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused.details).toMatch(
        new RegExp(`^rate limit: tenant ${tenantWide.tenantId} 4 requests per minute; `),
      );
      const retryAfter = Number(refused.metadata.get(RETRY_AFTER_TRAILER)[0]);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS);
    }
  });

  it('refuses Stream over the limit the same way', async () => {
    const streams = [];
    for (let i = 0; i < 3; i++) {
      streams.push(await app.stream({ messages: userAsks(`s${i}`) }, tenantWideStream.key.token));
    }
    expect(streams.map((s) => s.status.code)).toEqual([
      status.OK,
      status.OK,
      status.RESOURCE_EXHAUSTED,
    ]);
    const refused = streams[2];
    expect(refused.messages).toEqual([]);
    expect(refused.status.details).toMatch(/2 requests per minute/);
    expect(Number(refused.status.metadata.get(RETRY_AFTER_TRAILER)[0])).toBeGreaterThan(0);
  });

  it('a function’s limit below the tenant’s refuses that function alone', async () => {
    const ask = (functionName: string, i: number) =>
      outcome(app.complete({ functionName, messages: userAsks(`f${i}`) }, perFunction.key.token));
    const limited = [];
    for (let i = 0; i < 4; i++) limited.push(await ask('limited', i));
    expect(limited.slice(0, 2)).toEqual(['ok', 'ok']);
    for (const refused of limited.slice(2) as ServiceError[]) {
      expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused.details).toMatch(
        new RegExp(
          `^rate limit: function 'limited' of tenant ${perFunction.tenantId} 2 requests per minute`,
        ),
      );
    }
    const free = [];
    for (let i = 0; i < 5; i++) free.push(await ask('free', i));
    expect(free).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('counts input at admission and output after the answer against tokens per minute', async () => {
    // Each answer's tokens (input + output), in order, until the first refusal.
    const answers: Array<{ input: number; output: number }> = [];
    let refusal: ServiceError | null = null;
    while (!refusal && answers.length < 20) {
      try {
        const { usage } = await app.complete(
          { messages: userAsks('Hello, Keel') },
          byTokens.key.token,
        );
        answers.push({ input: Number(usage!.inputTokens), output: Number(usage!.outputTokens) });
      } catch (error) {
        refusal = error as ServiceError;
      }
    }
    expect(refusal?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refusal?.details).toMatch(/200 tokens per minute/);
    expect(answers.length).toBeGreaterThan(1);
    // Each request was admitted because the answers before it and its own input fitted...
    let before = 0;
    for (const { input, output } of answers) {
      expect(before + input).toBeLessThanOrEqual(200);
      before += input + output;
    }
    // ...and the next one refused because they no longer did (the same input each time).
    expect(before + answers[0].input).toBeGreaterThan(200);
  });
});
