// What a request under a rate limit does while NATS KV does not answer (a NATS server of the
// test's own, frozen with SIGSTOP): `refuse` answers UNAVAILABLE once the lease timeout passes;
// `allow` lets it through, so a stream delivers its answer while NATS is still frozen.
import { status } from '@grpc/grpc-js';
import { type NatsServer, eventually, startNatsServer } from '@keel/testing';
import { TestInference, keysSnapshot, userAsks } from '../app.fixture';
import { limitedTenant, limitsSnapshot } from './rate-limit.fixture';

jest.setTimeout(120_000);

describe.each(['refuse', 'allow'] as const)('KEEL_RATE_LIMIT_WHEN_UNAVAILABLE=%s', (choice) => {
  let nats: NatsServer;
  let app: TestInference;
  const limited = limitedTenant({ requestsPerMinute: 1_000n }, [{ name: 'default' }]);

  beforeAll(async () => {
    nats = await startNatsServer();
    app = await TestInference.start({
      NATS_URL: nats.url,
      KEEL_RATE_LIMIT_WHEN_UNAVAILABLE: choice,
      KEEL_RATE_LIMIT_LEASE_TIMEOUT_MS: '250',
    });
    await app.publish(limitsSnapshot([limited]), keysSnapshot([limited.key]));
    await eventually(() => app.health().then((health) => health === 'SERVING'), {
      what: 'inference serving',
    });
  });

  afterAll(async () => {
    nats?.resume();
    await app?.close();
    await nats?.stop();
  });

  if (choice === 'refuse') {
    it('answers UNAVAILABLE naming the rate-limit counters, then admits once NATS answers again', async () => {
      nats.pause();
      let frozen;
      try {
        frozen = await app.stream({ messages: userAsks('hello') }, limited.key.token, {
          deadline: Date.now() + 10_000,
        });
      } finally {
        nats.resume();
      }
      expect(frozen.messages).toEqual([]);
      expect(frozen.status.code).toBe(status.UNAVAILABLE);
      expect(frozen.status.details).toBe(
        'rate limit: the shared rate-limit counters (NATS KV) did not answer within 250 ms; retry shortly',
      );
      await eventually(() => app.complete({ messages: userAsks('again') }, limited.key.token), {
        what: 'a request admitted after NATS came back',
      });
    });
  } else {
    it('admits the request: its stream delivers text while NATS is still frozen', async () => {
      nats.pause();
      let deltasWhileFrozen = 0;
      let frozen = true;
      const result = await app
        .stream({ messages: userAsks('hello') }, limited.key.token, {
          deadline: Date.now() + 10_000,
          onMessage: (message) => {
            if (frozen && message.delta) deltasWhileFrozen += 1;
            // The answer's end waits for its event to be stored: let JetStream run again.
            frozen = false;
            nats.resume();
          },
        })
        .finally(() => nats.resume());
      expect(deltasWhileFrozen).toBe(1);
      expect(result.status.code).toBe(status.OK);
      expect(result.messages.at(-1)?.end).toBeDefined();
    });
  }
});
