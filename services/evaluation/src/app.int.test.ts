import { inference, streamOf } from '@keel/contracts';
import { healthStatus } from '@keel/local';
import { eventually, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { DURABLE, Pipeline, captureLogs, completed, policyOf } from './pipeline.fixture';
import type { EvaluationDocument } from './store/evaluations';
import { tagPairsOf } from './store/tags';

// The evaluation service on the real NATS and Mongo servers, started in-process as main.ts
// would start it, under a policy snapshot whose functions configure no evaluator: each
// inference gets the defaults, non_empty@1 and length@1.

const { INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('evaluation', () => {
  let pipeline: Pipeline;

  /**
   * Resolves once every announcement of a message evaluation has settled has been collected:
   * evaluation announces before it acks, so a marker inference published now is announced
   * after them, and the listener collects in order.
   */
  async function collectedSoFar(): Promise<void> {
    const marker = completed();
    await pipeline.publish(marker);
    await eventually(() => pipeline.scoredFor(marker).length === 2, {
      what: "the marker's EvaluationScored",
    });
  }

  beforeAll(async () => {
    pipeline = await Pipeline.start({ policy: policyOf({}) });
    await pipeline.listen();
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  it('reports SERVING once its consumer runs', async () => {
    expect(await healthStatus(`127.0.0.1:${pipeline.app.port}`)).toBe('SERVING');
  });

  it('scores an answer 1 and an empty answer 0 with the defaults, stores each evaluation and announces it', async () => {
    const answered = completed({ tags: { team: 'support' } });
    const empty = completed({ outputText: ' \n ' });
    await pipeline.publish(answered);
    await pipeline.settledThrough(await pipeline.publish(empty));

    const stored = await pipeline.evaluationsOf(answered);
    const common = {
      evaluation_id: expect.stringMatching(UUID_V7),
      tenant_id: answered.tenantId,
      inference_id: answered.inferenceId,
      function_name: 'support.answer',
      variant_name: 'default',
      model: 'sim-small',
      tags: tagPairsOf({ team: 'support' }),
      inference_occurred_at: answered.occurredAt,
      hour_start: new Date('2025-08-01T10:00:00Z'),
      day_start: new Date('2025-08-01T00:00:00Z'),
      created_at: expect.any(Date),
    };
    expect(stored).toEqual([
      {
        ...common,
        evaluator: 'length@1',
        score: 1,
        label: 'short',
        reason: '5 words: short.',
        failed: false,
      },
      {
        ...common,
        evaluator: 'non_empty@1',
        score: 1,
        label: 'non_empty',
        reason: 'The answer has text.',
        failed: false,
      },
    ]);
    const verdicts = (docs: EvaluationDocument[]) =>
      docs.map(({ evaluator, score, label, failed }) => ({ evaluator, score, label, failed }));
    expect(verdicts(await pipeline.evaluationsOf(empty))).toEqual([
      { evaluator: 'length@1', score: 0, label: 'empty', failed: true },
      { evaluator: 'non_empty@1', score: 0, label: 'empty', failed: true },
    ]);
    expect(await pipeline.outcomesOf(answered)).toEqual({
      'length@1': 'run',
      'non_empty@1': 'run',
    });
    // Scores are doubles in the store, 0 and 1 included.
    expect(
      await pipeline.store.collection('evaluations').countDocuments({
        inference_id: { $in: [answered.inferenceId, empty.inferenceId] },
        score: { $type: 'double' },
      }),
    ).toBe(4);

    const announced = await eventually(
      () => pipeline.scoredFor(answered).length === 2 && pipeline.scoredFor(answered),
      { what: 'two EvaluationScored' },
    );
    const byEvaluator = new Map(
      announced.map(({ message, delivery }) => [
        message.evaluation?.evaluator,
        { message, delivery },
      ]),
    );
    for (const doc of stored) {
      const { message, delivery } = byEvaluator.get(doc.evaluator)!;
      expect(delivery.msgId).toBe(`${answered.inferenceId}:${doc.evaluator}`);
      expect(message).toEqual({
        evaluation: {
          evaluationId: doc.evaluation_id,
          tenantId: doc.tenant_id,
          inferenceId: doc.inference_id,
          functionName: doc.function_name,
          variantName: doc.variant_name,
          model: doc.model,
          evaluator: doc.evaluator,
          score: doc.score,
          label: doc.label,
          reason: doc.reason,
          failed: false,
          tags: { team: 'support' },
          inferenceOccurredAt: answered.occurredAt,
          createdAt: doc.created_at,
        },
        occurredAt: doc.created_at,
      });
    }
  });

  it('adds no evaluation when the same inference is published again under another Nats-Msg-Id', async () => {
    const event = completed();
    await pipeline.settledThrough(await pipeline.publish(event));
    const first = await pipeline.evaluationsOf(event);

    await pipeline.settledThrough(await pipeline.publish(event, `${event.inferenceId}-again`));

    expect(await pipeline.evaluationsOf(event)).toEqual(first);
    // The announcements' Nats-Msg-Ids repeat, so JetStream keeps one of each.
    await collectedSoFar();
    expect(pipeline.scoredFor(event)).toHaveLength(2);
  });

  it('does not evaluate a failed inference, nor a judge’s own inference', async () => {
    const failed = completed({
      model: '',
      status: FAILED,
      outputText: '',
      attempts: [
        inference.Attempt.fromPartial({ model: 'sim-small', status: FAILED, errorMessage: 'down' }),
      ],
    });
    const judge = completed({ tags: { 'keel.judge': '1' }, outputText: 'SCORE: 1' });
    await pipeline.publish(failed);
    await pipeline.settledThrough(await pipeline.publish(judge));

    for (const event of [failed, judge]) {
      expect(await pipeline.evaluationsOf(event)).toEqual([]);
      expect(await pipeline.outcomesOf(event)).toEqual({});
    }
    await collectedSoFar();
    expect([...pipeline.scoredFor(failed), ...pipeline.scoredFor(judge)]).toEqual([]);
  });

  it('moves an event without tenant or inference id to the dead-letter stream with its reason, and stores nothing of it', async () => {
    const noTenant = completed({ tenantId: '' });
    const noInference = completed({ inferenceId: '' });
    await pipeline.publish(noTenant);
    await pipeline.settledThrough(await pipeline.publish(noInference, uniqueName('msg')));

    const letters = await pipeline.bus.deadLetters.list({ durable: DURABLE });
    expect(letters.map((letter) => [letter.reasonKind, letter.reason]).sort()).toEqual([
      ['poison', 'inference_id is missing'],
      ['poison', 'tenant_id is missing'],
    ]);
    const evaluations = pipeline.store.collection('evaluations');
    expect(await evaluations.countDocuments({ inference_id: noTenant.inferenceId })).toBe(0);
    expect(await evaluations.countDocuments({ tenant_id: noInference.tenantId })).toBe(0);
  });
});

describe('evaluation redelivering an inference it had begun to evaluate', () => {
  const logs = captureLogs();
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await Pipeline.start({ policy: policyOf({}), logger: logs.logger });
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  it('keeps the evaluations it stored, adds no duplicate and counts each run once', async () => {
    // With the evaluation stream gone, evaluations are stored but cannot be announced: the
    // message is not acked and comes back.
    const jsm = await jetstreamManager(pipeline.bus.connection);
    await jsm.streams.delete(streamOf('evaluation', pipeline.prefix).name);
    const event = completed();
    const seq = await pipeline.publish(event);

    await eventually(
      () =>
        logs.lines.some(
          (line) =>
            line.msg === 'handler failed: the message will be redelivered' &&
            line.msg_id === event.inferenceId,
        ),
      { what: 'a failed delivery' },
    );
    const before = await pipeline.evaluationsOf(event);
    expect(before.length).toBeGreaterThan(0);
    expect(await pipeline.outcomesOf(event)).toEqual({});

    await pipeline.bus.ensureStreams(['evaluation']);
    await pipeline.listen();
    const info = await pipeline.settledThrough(seq);

    expect(info.delivered.consumer_seq).toBeGreaterThan(1);
    const evaluations = await pipeline.evaluationsOf(event);
    expect(evaluations.map((doc) => doc.evaluator)).toEqual(['length@1', 'non_empty@1']);
    for (const doc of before) expect(evaluations).toContainEqual(doc);
    expect(await pipeline.outcomesOf(event)).toEqual({ 'length@1': 'run', 'non_empty@1': 'run' });
    const announced = await eventually(
      () => pipeline.scoredFor(event).length === 2 && pipeline.scoredFor(event),
      { what: 'both announced' },
    );
    expect(announced.map(({ message }) => message.evaluation?.evaluationId).sort()).toEqual(
      evaluations.map((doc) => doc.evaluation_id).sort(),
    );
  });
});
