// Feedback beside evaluations, on the real servers: evaluation consumes FeedbackRecorded into its
// store, and GetInference and WorstInferences show it with the inference's evaluations.
import { type ServiceError, status } from '@grpc/grpc-js';
import { durableNameOf, evaluation, events, feedback, streamOf } from '@keel/contracts';
import { call } from '@keel/kit';
import { eventually, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { QueryDeployment, type TestKey, completedEvent, testKey } from '../queries.fixture';
import { evaluationDocumentOf, recordEvaluation } from '../store/evaluations';
import {
  FEEDBACK,
  type FeedbackDocument,
  feedbackById,
  feedbackCollectionOf,
} from '../store/feedback';
import { inferenceDocumentOf, recordInference } from '../store/inferences';

jest.setTimeout(60_000);

describe('feedback beside evaluations', () => {
  let deployment: QueryDeployment;
  let acmeKey: TestKey;
  let globexKey: TestKey;
  const acme = uniqueName('acme');
  const globex = uniqueName('globex');
  const episodeId = uniqueName('episode');
  const scored = completedEvent({
    tenantId: acme,
    functionName: 'support.answer',
    occurredAt: new Date('2026-11-30T10:00:00Z'),
    input: 'Where is my parcel?',
    output: 'It ships on Monday.',
    verdicts: {},
  });
  scored.episodeId = episodeId;
  let seq = 0;

  const getInference = (token: string, inferenceId: string) =>
    call<evaluation.GetInferenceResponse>(token, (metadata, callback) =>
      deployment.client.getInference({ tenantId: '', inferenceId }, metadata, callback),
    );

  async function announce(recorded: Partial<feedback.Feedback>, msgId?: string): Promise<void> {
    const message = feedback.FeedbackRecorded.fromPartial({
      feedback: { feedbackId: uniqueName('fb'), createdAt: new Date(), ...recorded },
    });
    ({ seq } = await deployment.bus.publish(events.feedbackRecorded, message, {
      msgId: msgId ?? message.feedback!.feedbackId,
    }));
  }

  /** Resolves once evaluation has settled every FeedbackRecorded published so far. */
  async function consumed(): Promise<void> {
    const jsm = await jetstreamManager(deployment.bus.connection);
    const durable = durableNameOf('evaluation', events.feedbackRecorded);
    await eventually(
      async () => {
        const info = await jsm.consumers.info(
          streamOf('feedback', deployment.prefix).name,
          durable,
        );
        return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0;
      },
      { what: 'evaluation to consume the feedback' },
    );
  }

  beforeAll(async () => {
    deployment = await QueryDeployment.start();
    acmeKey = testKey(acme);
    globexKey = testKey(globex);
    await deployment.publishKeys([acmeKey, globexKey]);
    await recordInference(deployment.store, inferenceDocumentOf(scored, scored, new Date()));
    for (const [evaluator, score] of [
      ['exact@1', 0.2],
      ['length@2', 0.9],
    ] as const) {
      const verdict = {
        score,
        label: score < 0.5 ? 'fail' : 'pass',
        reason: '',
        failed: score < 0.5,
      };
      await recordEvaluation(
        deployment.store,
        evaluationDocumentOf(scored, evaluator, verdict, new Date()),
      );
    }
    const own = { tenantId: acme, functionName: 'support.answer', variantName: 'v1' };
    await announce({
      ...own,
      feedbackId: 'fb-thumbs',
      inferenceId: scored.inferenceId,
      thumbsUp: false,
      createdAt: new Date('2026-11-30T10:01:00Z'),
    });
    await announce({
      ...own,
      feedbackId: 'fb-episode',
      episodeId,
      metric: { name: 'resolved', value: 0 },
      // Later than the thumbs, though a feedback id that sorts first: oldest first is by time.
      createdAt: new Date('2026-11-30T10:02:00Z'),
    });
    // Neither of these is feedback on acme's inference.
    await announce({ ...own, inferenceId: 'another-inference', rating: 5 });
    await announce({ tenantId: globex, inferenceId: scored.inferenceId, comment: 'not yours' });
    await consumed();
  });

  afterAll(async () => {
    await deployment?.stop();
  });

  it("GetInference returns the inference's evaluations beside the feedback on it and on its episode", async () => {
    const { inference } = await getInference(acmeKey.token, scored.inferenceId);

    expect(inference).toMatchObject({
      inferenceId: scored.inferenceId,
      functionName: 'support.answer',
      outputText: 'It ships on Monday.',
      worstScore: 0.2,
    });
    expect(inference!.inputMessages.at(-1)?.content).toBe('Where is my parcel?');
    expect(inference!.evaluations.map((e) => [e.evaluator, e.score])).toEqual([
      ['exact@1', 0.2],
      ['length@2', 0.9],
    ]);
    expect(
      inference!.feedback.map((f) => [
        f.feedbackId,
        f.inferenceId,
        f.episodeId,
        f.thumbsUp,
        f.metric,
      ]),
    ).toEqual([
      ['fb-thumbs', scored.inferenceId, '', false, undefined],
      ['fb-episode', '', episodeId, undefined, { name: 'resolved', value: 0 }],
    ]);
  });

  it('WorstInferences rows carry the feedback too', async () => {
    const { inferences } = await call<evaluation.WorstInferencesResponse>(
      acmeKey.token,
      (metadata, callback) =>
        deployment.client.worstInferences(
          evaluation.WorstInferencesRequest.fromPartial({ limit: 1 }),
          metadata,
          callback,
        ),
    );

    expect(inferences.map((row) => row.feedback.map((f) => f.feedbackId))).toEqual([
      ['fb-thumbs', 'fb-episode'],
    ]);
  });

  it('stores a FeedbackRecorded delivered again (published past the duplicate window) once', async () => {
    const recorded = {
      tenantId: acme,
      feedbackId: 'fb-twice',
      inferenceId: 'inference-twice',
      rating: 4,
    };
    await announce(recorded, 'first-publish');
    await announce(recorded, 'second-publish');
    await consumed();

    const stored = await deployment.store
      .collection<FeedbackDocument>(FEEDBACK)
      .countDocuments({ tenant_id: acme, feedback_id: 'fb-twice' });
    expect(stored).toBe(1);
  });

  it("reads one feedback by id within its tenant, for datasets, and not another tenant's", async () => {
    const collection = feedbackCollectionOf(deployment.store);

    const found = await feedbackById(collection, acme, 'fb-thumbs');
    const elsewhere = await feedbackById(collection, globex, 'fb-thumbs');

    expect(found).toMatchObject({ feedbackId: 'fb-thumbs', tenantId: acme, thumbsUp: false });
    expect(elsewhere).toBeNull();
  });

  it("answers another tenant's inference with NOT_FOUND, and a missing id with INVALID_ARGUMENT", async () => {
    const theirs = await getInference(globexKey.token, scored.inferenceId).catch(
      (error: ServiceError) => error,
    );
    const missing = await getInference(acmeKey.token, '').catch((error: ServiceError) => error);

    expect(theirs).toMatchObject({ code: status.NOT_FOUND });
    expect(missing).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'inference_id: is required',
    });
  });
});
