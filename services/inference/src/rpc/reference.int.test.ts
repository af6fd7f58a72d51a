// A request's reference over real gRPC: checked, then carried to InferenceCompleted (Complete
// and Stream) for the function's evaluators.
import { status } from '@grpc/grpc-js';
import { inference } from '@keel/contracts';
import { eventually, uniqueName } from '@keel/testing';
import {
  INFERENCE,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';

describe('a request’s reference', () => {
  const tenantId = uniqueName('tenant');
  const key = testKey(tenantId, [INFERENCE]);
  let app: TestInference;
  let events: Map<string, inference.InferenceCompleted>;

  beforeAll(async () => {
    app = await TestInference.start();
    await app.publish(
      policySnapshot(tenantId, [{ name: 'math', chain: ['sim-small'] }]),
      keysSnapshot([key]),
    );
    events = await app.collectEvents();
  });

  afterAll(async () => {
    await app.close();
  });

  const reference = inference.Reference.fromPartial({
    answer: '42',
    context: ['Six times seven is 42.'],
  });

  it('reaches the InferenceCompleted of Complete and of Stream', async () => {
    const completed = await eventually(
      () =>
        app.complete({ functionName: 'math', messages: userAsks('6 × 7?'), reference }, key.token),
      { what: 'Complete' },
    );
    const streamed = await app.stream(
      { functionName: 'math', messages: userAsks('6 × 7, streamed?'), reference },
      key.token,
    );
    const streamedId = streamed.messages.find((m) => m.inferenceId)?.inferenceId;
    expect(streamedId).toBeDefined();
    for (const id of [completed.inferenceId, streamedId!]) {
      const event = await eventually(() => events.get(id), { what: `the event of ${id}` });
      expect(event.reference).toEqual(reference);
    }
  });

  it('refuses 65 passages and an empty one, naming the field', async () => {
    const cases: Array<[inference.Reference, RegExp]> = [
      [
        { answer: '', context: Array.from({ length: 65 }, () => 'p') },
        /reference\.context: 65 passages; at most 64/,
      ],
      [{ answer: '42', context: ['ok', ' '] }, /reference\.context\[1\]: must not be empty/],
    ];
    for (const [bad, message] of cases) {
      const call = app.complete(
        { functionName: 'math', messages: userAsks('hi'), reference: bad },
        key.token,
      );
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
  });
});
