// FeedbackService on the real servers: ownership learned from the InferenceCompleted events the
// service consumes, tenants as walls, idempotent submissions and the FeedbackRecorded they publish.
import { type ServiceError, status } from '@grpc/grpc-js';
import { durableNameOf, events, feedback } from '@keel/contracts';
import { eventually, uniqueName } from '@keel/testing';
import { ANALYTICS, FEEDBACK, FeedbackDeployment, completed, testKey } from './feedback.fixture';
import { newFeedback } from './domain/feedback';
import { submissionOf } from './domain/submission';
import { feedbackCollectionsOf, storeFeedback } from './store/feedback';

jest.setTimeout(60_000);

async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('FeedbackService', () => {
  const acme = uniqueName('acme');
  const globex = uniqueName('globex');
  const acmeKey = testKey(acme, [FEEDBACK]);
  const acmeAnalyst = testKey(acme, [ANALYTICS]);
  const globexKey = testKey(globex, [FEEDBACK]);
  let deployment: FeedbackDeployment;

  beforeAll(async () => {
    deployment = await FeedbackDeployment.start([acmeKey, acmeAnalyst, globexKey]);
  });

  afterAll(async () => {
    await deployment?.stop();
  });

  it("accepts feedback on the tenant's own inference, stores it and publishes FeedbackRecorded", async () => {
    const event = completed({ tenantId: acme, variantName: 'concise' });
    await deployment.completeAll(event);

    const reply = await deployment.submit(acmeKey.token, {
      inferenceId: event.inferenceId,
      thumbsUp: false,
      idempotencyKey: 'k-own',
    });

    expect(reply.idempotentReplay).toBe(false);
    expect(reply.feedback).toMatchObject({
      tenantId: acme,
      inferenceId: event.inferenceId,
      episodeId: '',
      functionName: 'support.answer',
      variantName: 'concise',
      thumbsUp: false,
      idempotencyKey: 'k-own',
    });
    const feedbackId = reply.feedback!.feedbackId;
    expect(await deployment.feedbackDocuments({ feedback_id: feedbackId })).toHaveLength(1);
    const published = (await deployment.recorded()).filter(
      ({ message }) => message.feedback?.feedbackId === feedbackId,
    );
    expect(published).toHaveLength(1);
    expect(published[0].msgId).toBe(feedbackId);
    expect(published[0].message.feedback).toEqual(reply.feedback);
  });

  it("refuses feedback on another tenant's inference exactly as on an unknown one", async () => {
    const theirs = completed({ tenantId: globex });
    await deployment.completeAll(theirs);

    const refused = await grpcError(
      deployment.submit(acmeKey.token, {
        inferenceId: theirs.inferenceId,
        rating: 5,
        idempotencyKey: 'k-theirs',
      }),
    );
    const unknown = await grpcError(
      deployment.submit(acmeKey.token, {
        inferenceId: 'never-completed',
        rating: 5,
        idempotencyKey: 'k-unknown',
      }),
    );

    expect(refused.code).toBe(status.NOT_FOUND);
    expect(refused.details.replace(theirs.inferenceId, 'ID')).toBe(
      unknown.details.replace('never-completed', 'ID'),
    );
    expect(await deployment.feedbackDocuments({ inference_id: theirs.inferenceId })).toEqual([]);
    // The owner's own key is accepted on the same inference.
    const own = await deployment.submit(globexKey.token, {
      inferenceId: theirs.inferenceId,
      rating: 5,
      idempotencyKey: 'k-theirs',
    });
    expect(own.feedback?.tenantId).toBe(globex);
  });

  it('answers an inference not consumed yet with a retryable NOT_FOUND, then accepts it once consumed', async () => {
    const event = completed({ tenantId: acme });
    const request = { inferenceId: event.inferenceId, rating: 2, idempotencyKey: 'k-early' };

    const early = await grpcError(deployment.submit(acmeKey.token, request));
    expect(early.code).toBe(status.NOT_FOUND);
    expect(early.details).toContain('retry shortly');

    await deployment.publish(event);
    const accepted = await eventually(
      () =>
        deployment.submit(acmeKey.token, request).catch((error: ServiceError) => {
          if (error.code !== status.NOT_FOUND) throw error;
          return null;
        }),
      { what: 'the submission to be accepted once the inference is consumed' },
    );
    expect(accepted.feedback).toMatchObject({ inferenceId: event.inferenceId, rating: 2 });
    expect(accepted.idempotentReplay).toBe(false);
  });

  it('stores a repeated submission once and publishes one FeedbackRecorded for it', async () => {
    const event = completed({ tenantId: acme });
    await deployment.completeAll(event);
    const request = {
      inferenceId: event.inferenceId,
      correction: 'It ships on Tuesday.',
      idempotencyKey: 'k-repeat',
    };

    const first = await deployment.submit(acmeKey.token, request);
    const repeats = await Promise.all(
      [1, 2, 3].map(() => deployment.submit(acmeKey.token, request)),
    );

    for (const repeat of repeats) {
      expect(repeat.idempotentReplay).toBe(true);
      expect(repeat.feedback).toEqual(first.feedback);
    }
    expect(
      await deployment.feedbackDocuments({ tenant_id: acme, idempotency_key: 'k-repeat' }),
    ).toHaveLength(1);
    const published = (await deployment.recorded()).filter(
      ({ message }) => message.feedback?.inferenceId === event.inferenceId,
    );
    expect(published.map(({ msgId }) => msgId)).toEqual([first.feedback!.feedbackId]);
  });

  it('publishes on a repeat the feedback a first attempt stored but could not announce', async () => {
    const event = completed({ tenantId: acme });
    await deployment.completeAll(event);
    const request = feedback.SubmitRequest.fromPartial({
      inferenceId: event.inferenceId,
      rating: 3,
      idempotencyKey: 'k-unannounced',
    });
    // What a first attempt leaves when the bus refuses its publish: the document, no marker.
    const submission = submissionOf(request);
    const owner = {
      tenantId: acme,
      inferenceId: event.inferenceId,
      episodeId: '',
      functionName: event.functionName,
      variantName: event.variantName,
      occurredAt: event.occurredAt!,
    };
    await storeFeedback(
      feedbackCollectionsOf(deployment.store),
      newFeedback(submission, owner, 'fb-unannounced', new Date()),
      submission.fingerprint,
    );
    expect((await deployment.recorded()).filter(({ msgId }) => msgId === 'fb-unannounced')).toEqual(
      [],
    );

    const repeat = await deployment.submit(acmeKey.token, request);

    expect(repeat).toMatchObject({
      idempotentReplay: true,
      feedback: { feedbackId: 'fb-unannounced' },
    });
    const published = (await deployment.recorded()).filter(
      ({ msgId }) => msgId === 'fb-unannounced',
    );
    expect(published.map(({ message }) => message.feedback)).toEqual([repeat.feedback]);
  });

  it('refuses a key reused for different feedback with ALREADY_EXISTS, storing nothing new', async () => {
    const event = completed({ tenantId: acme });
    await deployment.completeAll(event);
    await deployment.submit(acmeKey.token, {
      inferenceId: event.inferenceId,
      thumbsUp: true,
      idempotencyKey: 'k-reused',
    });

    const reused = await grpcError(
      deployment.submit(acmeKey.token, {
        inferenceId: event.inferenceId,
        thumbsUp: false,
        idempotencyKey: 'k-reused',
      }),
    );

    expect(reused.code).toBe(status.ALREADY_EXISTS);
    expect(reused.details).toContain("idempotency_key 'k-reused' was already used");
    const stored = await deployment.feedbackDocuments({ inference_id: event.inferenceId });
    expect(stored.map((doc) => doc.thumbs_up)).toEqual([true]);
  });

  it("takes feedback on an episode, naming its latest inference's function and variant", async () => {
    const episodeId = uniqueName('episode');
    const base = Date.now();
    await deployment.completeAll(
      // The later inference's event first: the latest is by time, not by arrival.
      completed({
        tenantId: acme,
        episodeId,
        functionName: 'support.resolve',
        variantName: 'second',
        occurredAt: new Date(base + 1_000),
      }),
      completed({ tenantId: acme, episodeId, variantName: 'first', occurredAt: new Date(base) }),
      // The same episode id in another tenant is another tenant's episode.
      completed({ tenantId: globex, episodeId: 'shared-episode' }),
    );

    const reply = await deployment.submit(acmeKey.token, {
      episodeId,
      metric: { name: 'resolved', value: 1 },
      idempotencyKey: 'k-episode',
    });

    expect(reply.feedback).toMatchObject({
      inferenceId: '',
      episodeId,
      functionName: 'support.resolve',
      variantName: 'second',
      metric: { name: 'resolved', value: 1 },
    });
    const listed = await deployment.list(acmeAnalyst.token, { episodeId });
    expect(listed.feedback).toEqual([reply.feedback]);
    const theirs = await grpcError(
      deployment.submit(acmeKey.token, {
        episodeId: 'shared-episode',
        thumbsUp: true,
        idempotencyKey: 'k-shared',
      }),
    );
    expect(theirs.code).toBe(status.NOT_FOUND);
  });

  it('sets an InferenceCompleted without a tenant aside as a dead letter, storing no owner', async () => {
    const orphan = completed({ tenantId: '' });
    const seq = await deployment.publish(orphan);
    await deployment.consumedThrough(seq);

    const letters = await deployment.bus.deadLetters.list({
      durable: durableNameOf('feedback', events.inferenceCompleted),
    });
    expect(
      letters.map((letter) => [letter.msgId, letter.reasonKind, letter.reason]),
    ).toContainEqual([orphan.inferenceId, 'poison', 'tenant_id is missing']);
    expect(
      await deployment.store
        .collection('inference_owners')
        .countDocuments({ inference_id: orphan.inferenceId }),
    ).toBe(0);
  });

  it('refuses a bad submission with INVALID_ARGUMENT naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ rating: 3, idempotencyKey: 'k' }, 'inference_id: set inference_id or episode_id'],
      [{ inferenceId: 'i', idempotencyKey: 'k' }, 'value: set one of thumbs_up'],
      [{ inferenceId: 'i', rating: 6, idempotencyKey: 'k' }, 'rating: 6 is outside 1 to 5'],
      [{ inferenceId: 'i', metric: { name: '', value: 1 }, idempotencyKey: 'k' }, 'metric.name'],
      [{ inferenceId: 'i', thumbsUp: true }, 'idempotency_key: is required'],
      [
        { inferenceId: 'i', comment: 'x'.repeat(4_001), idempotencyKey: 'k' },
        'comment: 4001 characters; at most 4000 are allowed',
      ],
    ];
    for (const [request, message] of cases) {
      const error = await grpcError(deployment.submit(acmeKey.token, request));
      expect({ code: error.code, details: error.details }).toEqual({
        code: status.INVALID_ARGUMENT,
        details: expect.stringContaining(message),
      });
    }
  });

  it('submits only with a feedback key and lists only with an analytics key', async () => {
    const event = completed({ tenantId: acme });
    await deployment.completeAll(event);
    const submitted = await deployment.submit(acmeKey.token, {
      inferenceId: event.inferenceId,
      comment: 'Too long.',
      idempotencyKey: 'k-scopes',
    });

    const submitByAnalyst = await grpcError(
      deployment.submit(acmeAnalyst.token, {
        inferenceId: event.inferenceId,
        comment: 'Too long.',
        idempotencyKey: 'k-scopes-2',
      }),
    );
    const listByFeedbackKey = await grpcError(
      deployment.list(acmeKey.token, { inferenceId: event.inferenceId }),
    );

    expect(submitByAnalyst.code).toBe(status.PERMISSION_DENIED);
    expect(listByFeedbackKey.code).toBe(status.PERMISSION_DENIED);
    const listed = await deployment.list(acmeAnalyst.token, { inferenceId: event.inferenceId });
    expect(listed.feedback).toEqual([submitted.feedback]);
  });
});
