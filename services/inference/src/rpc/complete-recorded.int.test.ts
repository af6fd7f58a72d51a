// Complete answers only once JetStream has stored its InferenceCompleted; while the bus cannot
// take events they wait in the publish backlog, and at its bound new requests are refused.
import { status } from '@grpc/grpc-js';
import { streamOf } from '@keel/contracts';
import { eventually } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  INFERENCE,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';

describe('Complete while JetStream cannot store events', () => {
  const tenantId = 'tenant-r';
  const key = testKey(tenantId, [INFERENCE]);
  let service: TestInference;

  beforeAll(async () => {
    // A backlog of one event: a second request shows that the first one's event is waiting.
    service = await TestInference.start({ KEEL_PUBLISH_BACKLOG_MAX: '1' });
    await service.publish(
      policySnapshot(tenantId, [{ name: 'chat', chain: ['sim-small'] }]),
      keysSnapshot([key]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
  });

  afterAll(async () => {
    await service.close();
  });

  const removeStream = async () => {
    const jsm = await jetstreamManager(service.bus.connection);
    await jsm.streams.delete(streamOf('inference', service.bus.prefix).name);
  };
  const ask = (text: string) => ({ messages: userAsks(text) });

  /** Resolves once a request is refused for a full backlog: the event before it is waiting. */
  const backlogFull = () =>
    eventually(
      () =>
        service
          .complete(ask('Am I refused?'), key.token)
          .then(() => undefined)
          .catch((error: { code?: number; details?: string }) =>
            error.code === status.UNAVAILABLE &&
            error.details?.includes('waiting for the event bus')
              ? error
              : undefined,
          ),
      { what: 'a request refused for a full backlog' },
    );

  it('holds the answer until the event is stored, and refuses others meanwhile with UNAVAILABLE', async () => {
    await removeStream();
    let answered = false;
    const held = service.complete(ask('Where is my parcel?'), key.token).then((response) => {
      answered = true;
      return response;
    });

    const refused = await backlogFull();
    expect(refused.details).toContain('1 completed inferences are waiting');
    expect(answered).toBe(false);

    await service.bus.ensureStreams(['inference']);
    const response = await held;
    const events = await service.collectEvents();
    await eventually(() => events.get(response.inferenceId), { what: 'the held answer’s event' });
  });

  it('still publishes the event of a call whose deadline passed while it waited', async () => {
    await removeStream();
    const late = service.complete(ask('What is my balance?'), key.token, {
      deadline: Date.now() + 500,
    });
    await expect(late).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    await backlogFull();

    await service.bus.ensureStreams(['inference']);
    const stored = await service.collectEvents();
    await eventually(() => stored.size === 1, { what: 'the late call’s event' });
    const [event] = [...stored.values()];
    expect(event).toMatchObject({ tenantId, functionName: 'chat' });
    // The backlog is empty again: requests are answered.
    await eventually(() => service.complete(ask('And now?'), key.token), {
      what: 'an answer once the event is stored',
    });
  });
});
