import { common, evaluation } from '@keel/contracts';
import { completed, Pipeline, policyOf } from '../pipeline.fixture';
import { QueryClient, testKey } from '../queries.fixture';

// The real path: InferenceCompleted on the bus → the consumer's evaluators → the store → the
// queries. A redelivered event must not count twice.

describe('queries over what the consumer stored', () => {
  const key = testKey('acme');
  let pipeline: Pipeline;
  let queries: QueryClient;

  beforeAll(async () => {
    pipeline = await Pipeline.start({
      policy: policyOf({
        acme: [
          {
            functionName: 'checkout',
            evaluators: [{ evaluator: 'non_empty@1', samplingRate: 1, paramsJson: '{}' }],
          },
        ],
      }),
      keys: [key],
    });
    queries = new QueryClient(`127.0.0.1:${pipeline.app.port}`);
  });

  afterAll(async () => {
    queries.close();
    await pipeline.stop();
  });

  it('counts a redelivered inference once in lists, aggregates and worst inferences', async () => {
    const event = completed({
      tenantId: 'acme',
      functionName: 'checkout',
      tags: { team: 'red' },
      inputMessages: [
        common.ChatMessage.fromPartial({
          role: common.MessageRole.MESSAGE_ROLE_USER,
          content: 'Where is my parcel?',
        }),
      ],
      outputText: '',
    });
    const aggregate = async () =>
      (
        await queries.aggregate({ groupBy: [evaluation.GroupKey.GROUP_KEY_EVALUATOR] }, key.token)
      ).aggregates.map((item) => [item.group.evaluator, Number(item.count), item.failureRate]);

    await pipeline.settledThrough(await pipeline.publish(event));
    const once = await aggregate();
    expect(once).toEqual([['non_empty@1', 1, 1]]);

    // Published again under another message id: the bus cannot drop it as a duplicate.
    await pipeline.settledThrough(await pipeline.publish(event, `${event.inferenceId}:again`));
    expect(await aggregate()).toEqual(once);
    const listed = await queries.list({}, key.token);
    expect(listed.evaluations.map((item) => [item.inferenceId, item.tags])).toEqual([
      [event.inferenceId, { team: 'red' }],
    ]);
    const { inferences } = await queries.worst({}, key.token);
    expect(inferences.map((item) => [item.inferenceId, item.inputMessages[0]?.content])).toEqual([
      [event.inferenceId, 'Where is my parcel?'],
    ]);
  });
});
