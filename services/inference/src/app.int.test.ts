import { status } from '@grpc/grpc-js';
import { SNAPSHOT_KEY } from '@keel/snapshots';
import { eventually } from '@keel/testing';
import {
  INFERENCE,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from './app.fixture';

const tenantId = 'tenant-b';

describe('the inference service following the router’s snapshots', () => {
  const alice = testKey(tenantId, [INFERENCE]);
  const bob = testKey(tenantId, [INFERENCE]);
  const ask = { messages: userAsks('What changed?') };
  let service: TestInference;

  beforeAll(async () => {
    service = await TestInference.start();
  });

  afterAll(async () => {
    await service.close();
  });

  it('is NOT_SERVING and answers UNAVAILABLE until it has both snapshots, then SERVING', async () => {
    expect(await service.health()).toBe('NOT_SERVING');
    await expect(service.complete(ask, alice.token)).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: expect.stringContaining('API keys are not loaded yet'),
    });

    await service.publish(null, keysSnapshot([alice, bob]));
    await eventually(
      () =>
        service
          .complete(ask, alice.token)
          .catch((error: { details?: string }) =>
            error.details?.includes('routing policy has not been loaded') ? true : undefined,
          ),
      { what: 'UNAVAILABLE for want of a policy' },
    );
    expect(await service.health()).toBe('NOT_SERVING');

    await service.publish(policySnapshot(tenantId, [{ name: 'chat', chain: ['sim-small'] }]), null);
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
    expect(await service.complete(ask, alice.token)).toMatchObject({ model: 'sim-small' });
  });

  it('applies a new policy snapshot to the requests that follow', async () => {
    await service.publish(policySnapshot(tenantId, [{ name: 'chat', chain: ['sim-large'] }]), null);
    await eventually(async () => (await service.complete(ask, alice.token)).model === 'sim-large', {
      what: 'the new chain serving',
    });
  });

  it('keeps serving from the last snapshot when the router takes it away', async () => {
    await service.buckets.policy.delete(SNAPSHOT_KEY);
    await service.buckets.keys.delete(SNAPSHOT_KEY);
    // Give the follower time to see the deletes: it must ignore them.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await service.health()).toBe('SERVING');
    expect(await service.complete(ask, alice.token)).toMatchObject({ model: 'sim-large' });
  });

  it('refuses a key revoked by a new keys snapshot, and keeps the others', async () => {
    await service.publish(null, keysSnapshot([alice]));
    await eventually(
      () =>
        service
          .complete(ask, bob.token)
          .then(() => undefined)
          .catch((error: { code?: number }) => error.code === status.UNAUTHENTICATED),
      { what: 'the revoked key refused' },
    );
    expect(await service.complete(ask, alice.token)).toMatchObject({ model: 'sim-large' });
  });
});

describe('stopping the inference service', () => {
  it('publishes every queued InferenceCompleted before it stops', async () => {
    const key = testKey(tenantId, [INFERENCE]);
    const service = await TestInference.start();
    try {
      await service.publish(
        policySnapshot(tenantId, [{ name: 'chat', chain: ['sim-small'] }]),
        keysSnapshot([key]),
      );
      await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });

      const requests = 30;
      const responses = await Promise.all(
        Array.from({ length: requests }, (_, n) =>
          service.complete({ messages: userAsks(`Question number ${n}`) }, key.token),
        ),
      );
      await service.stopApp();

      const events = await service.collectEvents();
      await eventually(() => events.size === requests, { what: `${requests} events` });
      expect([...events.keys()].sort()).toEqual(responses.map((r) => r.inferenceId).sort());
      for (const response of responses) {
        expect(events.get(response.inferenceId)?.costNanoUsd).toBe(response.costNanoUsd);
      }
    } finally {
      await service.close();
    }
  });
});
