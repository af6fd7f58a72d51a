import { type Bus, connectBus } from '@keel/bus';
import { inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { createLogger } from '@keel/telemetry';
import { testServers, uniqueName } from '@keel/testing';
import { IdempotencyClaims } from './idempotency-claims';

const logger = createLogger('claims-test', 'silent');
const WINDOW_MS = 60_000;

describe('IdempotencyClaims on a real NATS KV bucket', () => {
  let bus: Bus;
  let claims: IdempotencyClaims;
  const forever = () => ({ signal: new AbortController().signal, deadline: Infinity });
  const answer = (inferenceId: string) =>
    inference.CompleteResponse.fromPartial({ inferenceId, text: 'hello', costNanoUsd: 7n });

  beforeAll(async () => {
    bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'claims-test',
      prefix: uniqueName('idem'),
      logger,
    });
    const bucket = await bus.kv(uniqueName('idem'), { history: 1, ttlMs: WINDOW_MS });
    claims = new IdempotencyClaims(bucket, WINDOW_MS, 60_000);
  });

  afterAll(async () => {
    await bus.drain();
  });

  it('lets the first request own the key and gives a waiting twin its answer', async () => {
    const first = await claims.claim('tenant-a', 'k1', 'hash', forever());
    expect(first.kind).toBe('owner');
    const twin = claims.claim('tenant-a', 'k1', 'hash', forever());
    if (first.kind !== 'owner') throw new Error('unreachable');
    await first.answered(answer('i-1'));
    await expect(twin).resolves.toEqual({ kind: 'replay', response: answer('i-1') });
    // Another tenant's same key is its own.
    expect((await claims.claim('tenant-b', 'k1', 'hash', forever())).kind).toBe('owner');
  });

  it('frees a released key for the retry', async () => {
    const first = await claims.claim('tenant-a', 'k2', 'hash', forever());
    const twin = claims.claim('tenant-a', 'k2', 'hash', forever());
    if (first.kind !== 'owner') throw new Error('expected to own the key');
    await first.release();
    expect((await twin).kind).toBe('owner');
  });

  it('refuses the key with a different request, naming idempotency_key', async () => {
    await claims.claim('tenant-a', 'k3', 'hash', forever());
    const refused = claims.claim('tenant-a', 'k3', 'other', forever());
    await expect(refused).rejects.toThrow(InvalidArgumentError);
    await expect(refused).rejects.toThrow(/^idempotency_key: /);
  });

  it('lets a twin take over a claim whose lease ran out (its holder died)', async () => {
    const dead = await claims.claim('tenant-a', 'k4', 'hash', {
      signal: new AbortController().signal,
      deadline: Date.now() + 100,
    });
    expect(dead.kind).toBe('owner');
    expect((await claims.claim('tenant-a', 'k4', 'hash', forever())).kind).toBe('owner');
  });

  it('stops a waiting twin when its caller leaves', async () => {
    await claims.claim('tenant-a', 'k5', 'hash', forever());
    const caller = new AbortController();
    const twin = claims.claim('tenant-a', 'k5', 'hash', {
      signal: caller.signal,
      deadline: Infinity,
    });
    caller.abort(new Error('caller left'));
    await expect(twin).rejects.toThrow('caller left');
  });
});
