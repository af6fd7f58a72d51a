// groundedness@1 on an inference whose function retrieved its context: the passages the model
// was given, read from the event or from its payload when it was too large, ground the answer.
import { common, inference } from '@keel/contracts';
import { InferencePayloads } from '@keel/payloads';
import { uniqueName } from '@keel/testing';
import { Pipeline, completed, policyOf } from '../pipeline.fixture';

jest.setTimeout(60_000);

const PASSAGE = 'Annual plans are refunded in full within 30 days of purchase.';
const RENDERED = `Answer from the numbered passages below.\n\n[1] ${PASSAGE}`;
const question = common.ChatMessage.fromPartial({
  role: common.MessageRole.MESSAGE_ROLE_USER,
  content: 'Can I get my money back for an annual plan?',
});

describe('groundedness on retrieved context', () => {
  const tenantId = uniqueName('acme');
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await Pipeline.start({
      policy: policyOf({
        [tenantId]: [
          {
            functionName: 'support',
            evaluators: [{ evaluator: 'groundedness@1', samplingRate: 1, paramsJson: '' }],
          },
        ],
      }),
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  const answered = (outputText: string, extra: Partial<inference.InferenceCompleted> = {}) =>
    completed({
      tenantId,
      functionName: 'support',
      inputMessages: [question],
      outputText,
      retrieval: inference.RetrievedContext.fromPartial({
        collection: 'handbook',
        chunkIds: ['refunds#0'],
        renderedContext: RENDERED,
      }),
      ...extra,
    });

  it('scores an answer grounded in the retrieved passages, and one that is not', async () => {
    const grounded = answered('Annual plans are refunded in full within 30 days.');
    const ungrounded = answered('Monthly plans are refunded within 90 days.');
    await pipeline.settledThrough(await pipeline.publish(grounded));
    await pipeline.settledThrough(await pipeline.publish(ungrounded));

    expect(await pipeline.evaluationsOf(grounded)).toEqual([
      expect.objectContaining({ evaluator: 'groundedness@1', label: 'grounded' }),
    ]);
    expect(await pipeline.evaluationsOf(ungrounded)).toEqual([
      expect.objectContaining({ evaluator: 'groundedness@1', label: 'ungrounded' }),
    ]);
  });

  it('reads the retrieved passages from the payload of an inference too large for its event', async () => {
    const long = `${'Some earlier conversation. '.repeat(3_000)}`;
    const large = answered('Annual plans are refunded in full within 30 days.', {
      inputMessages: [
        common.ChatMessage.fromPartial({
          role: common.MessageRole.MESSAGE_ROLE_ASSISTANT,
          content: long,
        }),
        question,
      ],
    });
    const slim = await (await InferencePayloads.open(pipeline.bus)).offload(large);
    expect(slim.retrieval?.renderedContext).toBe('');

    await pipeline.settledThrough(await pipeline.publish(slim));

    expect(await pipeline.evaluationsOf(large)).toEqual([
      expect.objectContaining({ evaluator: 'groundedness@1', label: 'grounded' }),
    ]);
  });
});
