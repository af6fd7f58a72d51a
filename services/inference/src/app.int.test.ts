import { status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { type inference, streamOf } from '@keel/contracts';
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
          .then(() => undefined)
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
    // Watches of the test's own see the deletes when the service's watches do: it must ignore them.
    const deleted = new Set<string>();
    const watches = await Promise.all(
      (['policy', 'keys'] as const).map((name) =>
        service.buckets[name].watch(SNAPSHOT_KEY, (entry) => {
          if (entry === null) deleted.add(name);
        }),
      ),
    );
    try {
      await service.buckets.policy.delete(SNAPSHOT_KEY);
      await service.buckets.keys.delete(SNAPSHOT_KEY);
      await eventually(() => deleted.size === 2, { what: 'both deletes watched' });
    } finally {
      for (const watch of watches) watch.stop();
    }
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
  it('waits for the calls whose events wait for JetStream, and answers each once its event is stored', async () => {
    const key = testKey(tenantId, [INFERENCE]);
    const slowCalls = 10;
    // The sim model writes 20 tokens a second; a backlog of 10 events is full once they all wait.
    const service = await TestInference.start({
      KEEL_SIM_TOKENS_PER_SECOND: '20',
      KEEL_PUBLISH_BACKLOG_MAX: String(slowCalls),
    });
    try {
      await service.publish(
        policySnapshot(tenantId, [{ name: 'chat', chain: ['sim-small'] }]),
        keysSnapshot([key]),
      );
      await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
      // Without its stream, every event waits in the publisher, retried, and so does its answer.
      const jsm = await jetstreamManager(service.bus.connection);
      await jsm.streams.delete(streamOf('inference', service.bus.prefix).name);

      let answeredSoFar = 0;
      const slow = Promise.allSettled(
        Array.from({ length: slowCalls }, (_, n) =>
          service
            .complete(
              { messages: userAsks(`Tell me everything about invoice ${n}`), maxTokens: 20 },
              key.token,
            )
            .finally(() => answeredSoFar++),
        ),
      );
      // A probe admitted before the backlog is full joins it and runs out of time; once one is
      // refused, the backlog is full.
      let probesAdmitted = 0;
      await eventually(
        () =>
          service
            .complete({ messages: userAsks('Hi [sim:empty]') }, key.token, {
              deadline: Date.now() + 300,
            })
            .then(() => undefined)
            .catch((error: { code?: number }) => {
              if (error.code === status.DEADLINE_EXCEEDED) probesAdmitted++;
              return error.code === status.UNAVAILABLE;
            }),
        { what: 'a full publish backlog' },
      );
      expect(answeredSoFar).toBe(0);

      const stopping = service.stopApp();
      await service.bus.ensureStreams(['inference']);
      const answered: inference.CompleteResponse[] = [];
      for (const result of await slow) {
        expect(result.status).toBe('fulfilled');
        if (result.status === 'fulfilled') answered.push(result.value);
      }
      await stopping;

      const events = await service.collectEvents();
      await eventually(() => events.size === slowCalls + probesAdmitted, {
        what: `${slowCalls + probesAdmitted} events`,
      });
      for (const response of answered) {
        expect(events.get(response.inferenceId)?.costNanoUsd).toBe(response.costNanoUsd);
      }
    } finally {
      await service.close();
    }
  });
});
