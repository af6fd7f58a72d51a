import * as grpc from '@grpc/grpc-js';
import { common, inference } from '@keel/contracts';
import { eventually } from '@keel/testing';
import { INFERENCE, TestInference, keysSnapshot, policySnapshot, testKey } from '../app.fixture';

const LARGE_CHARS = 400_000; // KEEL_MAX_INPUT_CHARS: the largest input answered
const SMALL_CLIENTS = 4;

describe('Complete with a 400,000-character unbroken message in flight', () => {
  const tenantId = 'tenant-large';
  const key = testKey(tenantId, [INFERENCE]);
  let service: TestInference;
  const clients: inference.InferenceServiceClient[] = [];

  beforeAll(async () => {
    service = await TestInference.start({ KEEL_SIM_LATENCY_MS: '0' });
    await service.publish(
      policySnapshot(tenantId, [{ name: 'support.answer', chain: ['sim-small'] }]),
      keysSnapshot([key]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
    // A channel each, as separate callers would have.
    for (let i = 0; i < SMALL_CLIENTS + 1; i++) {
      clients.push(
        new inference.InferenceServiceClient(
          `127.0.0.1:${service.app.port}`,
          grpc.credentials.createInsecure(),
          { 'grpc.use_local_subchannel_pool': 1 },
        ),
      );
    }
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await service.close();
  });

  const complete = (client: inference.InferenceServiceClient, content: string) => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${key.token}`);
    const request = inference.CompleteRequest.fromPartial({
      messages: [{ role: common.MessageRole.MESSAGE_ROLE_USER, content }],
    });
    return new Promise<inference.CompleteResponse>((resolve, reject) =>
      client.complete(request, metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  };

  it('answers it and every small request sent while it is counted', async () => {
    const [largeClient, ...smallClients] = clients;
    await Promise.all(smallClients.map((client, i) => complete(client, `Warm up ${i}?`)));

    let largeInFlight = true;
    const large = complete(largeClient, 'a'.repeat(LARGE_CHARS)).finally(() => {
      largeInFlight = false;
    });
    const latencies: number[] = [];
    const answers: inference.CompleteResponse[] = [];
    await Promise.all(
      smallClients.map(async (client, c) => {
        for (let i = 0; largeInFlight; i++) {
          const started = performance.now();
          answers.push(await complete(client, `Small question ${c}.${i}?`));
          latencies.push(performance.now() - started);
        }
      }),
    );
    const answer = await large;

    // 3 to prime the reply + 3 for the message + 'user' + 8 letters a token.
    expect(answer.usage?.inputTokens).toBe(BigInt(3 + 3 + 1 + LARGE_CHARS / 8));
    expect(answer.inferenceId).not.toBe('');
    expect(answers.length).toBe(latencies.length);
    expect(answers.length).toBeGreaterThan(SMALL_CLIENTS);
    for (const small of answers) expect(small.text).not.toBe('');

    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.ceil(q * latencies.length) - 1].toFixed(2);
    console.info(
      `${answers.length} small Complete calls from ${SMALL_CLIENTS} clients while a ` +
        `${LARGE_CHARS}-character message was in flight: p50 ${at(0.5)} ms, ` +
        `p99 ${at(0.99)} ms, max ${at(1)} ms`,
    );
  });
});
