import { type Bus, type Delivery, connectBus } from '@keel/bus';
import { loadConfig } from '@keel/config';
import { durableNameOf, evaluation, events, inference, streamOf } from '@keel/contracts';
import { type Store, connectStore } from '@keel/store';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { type ConsumerInfo, jetstreamManager } from '@nats-io/jetstream';
import type { Collection } from 'mongodb';
import pino from 'pino';
import { type EvaluationApp, startEvaluation } from './app';
import { configShape } from './config';
import type { EvaluationDocument } from './store/evaluations';
import { healthStatus } from '@keel/local';

// The evaluation service on the real NATS and Mongo servers, started in-process as main.ts
// would start it; each suite has its own bus prefix and database.

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const DURABLE = durableNameOf('evaluation', events.inferenceCompleted);
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function captureLogs() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

function configFor(prefix: string) {
  const { natsUrl, mongoUrl } = testServers();
  return loadConfig(configShape, {
    NATS_URL: natsUrl,
    MONGO_URL: mongoUrl,
    KEEL_BUS_PREFIX: prefix,
    KEEL_DB_PREFIX: prefix,
    KEEL_BIND_HOST: '127.0.0.1',
    KEEL_EVALUATION_PORT: '0',
    KEEL_EVALUATION_ACK_WAIT_MS: '1000',
  });
}

/** What the test sees of one deployment: its bus, its evaluations, what evaluation announced. */
class Deployment {
  readonly scored: Array<{ message: evaluation.EvaluationScored; delivery: Delivery }> = [];

  private constructor(
    readonly prefix: string,
    readonly bus: Bus,
    readonly store: Store,
  ) {}

  static async open(prefix: string): Promise<Deployment> {
    const bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'evaluation-test',
      prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.ensureStreams(['inference', 'evaluation']);
    const store = await connectStore({
      url: testServers().mongoUrl,
      dbPrefix: prefix,
      service: 'evaluation',
    });
    return new Deployment(prefix, bus, store);
  }

  /** Collects every EvaluationScored from now on. */
  async listen(): Promise<void> {
    await this.bus.consume(events.evaluationScored, {
      durable: 'evaluation-test',
      // One at a time, so announcements are collected in the order they were published.
      concurrency: 1,
      handler: async (message, delivery) => {
        this.scored.push({ message, delivery });
      },
    });
  }

  get evaluations(): Collection<EvaluationDocument> {
    return this.store.collection<EvaluationDocument>('evaluations');
  }

  async publish(event: inference.InferenceCompleted, msgId = event.inferenceId): Promise<number> {
    const { seq } = await this.bus.publish(events.inferenceCompleted, event, { msgId });
    return seq;
  }

  /** Resolves once evaluation has settled (acked or terminated) every message up to `seq`. */
  async settledThrough(seq: number): Promise<ConsumerInfo> {
    const jsm = await jetstreamManager(this.bus.connection);
    return eventually(
      async () => {
        const info = await jsm.consumers.info(streamOf('inference', this.prefix).name, DURABLE);
        return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0 && info;
      },
      { what: `evaluation to settle message ${seq}` },
    );
  }

  /** The inference's evaluations by evaluator. */
  async evaluationsOf(event: inference.InferenceCompleted): Promise<EvaluationDocument[]> {
    return this.evaluations
      .find(
        { tenant_id: event.tenantId, inference_id: event.inferenceId },
        { projection: { _id: 0 }, sort: { evaluator: 1 } },
      )
      .toArray();
  }

  /**
   * Resolves once every announcement of a message evaluation has settled has been collected:
   * evaluation announces before it acks, so a marker inference published now is announced
   * after them, and the listener collects in order.
   */
  async collectedSoFar(): Promise<void> {
    const marker = completed();
    await this.publish(marker);
    await eventually(() => this.scoredFor(marker).length === 2, {
      what: "the marker's EvaluationScored",
    });
  }

  scoredFor(event: inference.InferenceCompleted) {
    return this.scored.filter(
      ({ message }) => message.evaluation?.inferenceId === event.inferenceId,
    );
  }

  async close(): Promise<void> {
    await this.bus.drain();
    await this.store.db.dropDatabase();
    await this.store.close();
  }
}

function completed(
  fields: Partial<inference.InferenceCompleted> = {},
): inference.InferenceCompleted {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inference'),
    tenantId: uniqueName('tenant'),
    functionName: 'support.answer',
    variantName: 'default',
    model: 'sim-small',
    attempts: [{ model: 'sim-small', provider: 'sim', status: OK }],
    catalogVersion: 1n,
    status: OK,
    outputText: 'Your order ships on Monday.',
    occurredAt: new Date('2025-08-01T10:00:00.123Z'),
    ...fields,
  });
}

describe('evaluation', () => {
  const prefix = uniqueName('eval');
  const logs = captureLogs();
  let deployment: Deployment;
  let app: EvaluationApp;

  beforeAll(async () => {
    deployment = await Deployment.open(prefix);
    await deployment.listen();
    app = await startEvaluation(configFor(prefix), logs.logger);
  });

  afterAll(async () => {
    await app.stop();
    await deployment.close();
  });

  it('reports SERVING once its consumer runs', async () => {
    expect(await healthStatus(`127.0.0.1:${app.port}`)).toBe('SERVING');
  });

  it('scores an answer 1 and an empty answer 0, stores each evaluation and announces it', async () => {
    const answered = completed();
    const empty = completed({ outputText: ' \n ' });
    await deployment.publish(answered);
    await deployment.settledThrough(await deployment.publish(empty));

    const stored = await deployment.evaluationsOf(answered);
    expect(stored).toEqual([
      {
        evaluation_id: expect.stringMatching(UUID_V7),
        tenant_id: answered.tenantId,
        inference_id: answered.inferenceId,
        function_name: 'support.answer',
        variant_name: 'default',
        model: 'sim-small',
        evaluator: 'length@1',
        score: 1,
        label: 'short',
        created_at: expect.any(Date),
      },
      {
        evaluation_id: expect.stringMatching(UUID_V7),
        tenant_id: answered.tenantId,
        inference_id: answered.inferenceId,
        function_name: 'support.answer',
        variant_name: 'default',
        model: 'sim-small',
        evaluator: 'non_empty@1',
        score: 1,
        label: 'non_empty',
        created_at: expect.any(Date),
      },
    ]);
    const verdicts = (docs: EvaluationDocument[]) =>
      docs.map(({ evaluator, score, label }) => ({ evaluator, score, label }));
    expect(verdicts(await deployment.evaluationsOf(empty))).toEqual([
      { evaluator: 'length@1', score: 0, label: 'empty' },
      { evaluator: 'non_empty@1', score: 0, label: 'empty' },
    ]);
    // Scores are doubles in the store, 0 and 1 included.
    expect(
      await deployment.evaluations.countDocuments({
        inference_id: { $in: [answered.inferenceId, empty.inferenceId] },
        score: { $type: 'double' },
      }),
    ).toBe(4);

    const announced = await eventually(
      () => deployment.scoredFor(answered).length === 2 && deployment.scoredFor(answered),
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
          createdAt: doc.created_at,
        },
        occurredAt: doc.created_at,
      });
    }
    await eventually(() => deployment.scoredFor(empty).length === 2, {
      what: 'the empty answer announced',
    });
  });

  it('adds no evaluation when the same inference is published again under another Nats-Msg-Id', async () => {
    const event = completed();
    await deployment.settledThrough(await deployment.publish(event));
    const first = await deployment.evaluationsOf(event);

    await deployment.settledThrough(await deployment.publish(event, `${event.inferenceId}-again`));

    expect(await deployment.evaluationsOf(event)).toEqual(first);
    // The announcements' Nats-Msg-Ids repeat, so JetStream keeps one of each.
    await deployment.collectedSoFar();
    expect(deployment.scoredFor(event)).toHaveLength(2);
  });

  it('does not evaluate a failed inference', async () => {
    const event = completed({
      model: '',
      status: FAILED,
      outputText: '',
      attempts: [
        inference.Attempt.fromPartial({ model: 'sim-small', status: FAILED, errorMessage: 'down' }),
      ],
    });
    await deployment.settledThrough(await deployment.publish(event));

    expect(await deployment.evaluationsOf(event)).toEqual([]);
    await deployment.collectedSoFar();
    expect(deployment.scoredFor(event)).toEqual([]);
  });

  it('moves an event without tenant or inference id to the dead-letter stream with its reason, and stores nothing of it', async () => {
    const noTenant = completed({ tenantId: '' });
    const noInference = completed({ inferenceId: '' });
    await deployment.publish(noTenant);
    await deployment.settledThrough(await deployment.publish(noInference, uniqueName('msg')));

    const letters = await deployment.bus.deadLetters.list({
      durable: DURABLE,
    });
    expect(letters.map((letter) => [letter.reasonKind, letter.reason]).sort()).toEqual([
      ['poison', 'inference_id is missing'],
      ['poison', 'tenant_id is missing'],
    ]);
    expect(
      await deployment.evaluations.countDocuments({ inference_id: noTenant.inferenceId }),
    ).toBe(0);
    expect(await deployment.evaluations.countDocuments({ tenant_id: noInference.tenantId })).toBe(
      0,
    );
  });
});

describe('evaluation redelivering an inference it had begun to evaluate', () => {
  const prefix = uniqueName('eval');
  const logs = captureLogs();
  let deployment: Deployment;
  let app: EvaluationApp;

  beforeAll(async () => {
    deployment = await Deployment.open(prefix);
    app = await startEvaluation(configFor(prefix), logs.logger);
  });

  afterAll(async () => {
    await app.stop();
    await deployment.close();
  });

  it('keeps the evaluations it stored and adds no duplicate', async () => {
    // With the evaluation stream gone, the first evaluation is stored but cannot be announced:
    // the message is not acked and comes back.
    const jsm = await jetstreamManager(deployment.bus.connection);
    await jsm.streams.delete(streamOf('evaluation', prefix).name);
    const event = completed();
    const seq = await deployment.publish(event);

    await eventually(
      () =>
        logs.lines.some(
          (line) =>
            line.msg === 'handler failed: the message will be redelivered' &&
            line.msg_id === event.inferenceId,
        ),
      { what: 'a failed delivery' },
    );
    const [stored] = await deployment.evaluationsOf(event);
    expect(stored.evaluator).toBe('non_empty@1');

    await deployment.bus.ensureStreams(['evaluation']);
    await deployment.listen();
    const info = await deployment.settledThrough(seq);

    expect(info.delivered.consumer_seq).toBeGreaterThan(1);
    const evaluations = await deployment.evaluationsOf(event);
    expect(evaluations.map((doc) => doc.evaluator)).toEqual(['length@1', 'non_empty@1']);
    expect(evaluations[1]).toEqual(stored);
    await deployment.collectedSoFar();
    const announced = deployment.scoredFor(event);
    expect(announced.map(({ message }) => message.evaluation?.evaluationId).sort()).toEqual(
      evaluations.map((doc) => doc.evaluation_id).sort(),
    );
  });
});
