// Drift on the real servers: answers scored by exact@1 against their references, first mostly
// right then mostly wrong, raise one DriftDetected and one alert listed by ListDriftAlerts; a
// steady run with the same noise raises none, once the drift consumer has acked every score.
import * as grpc from '@grpc/grpc-js';
import { durableNameOf, evaluation, events, streamOf, subjectOf } from '@keel/contracts';
import { call } from '@keel/kit';
import { eventually, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { uuidv7 } from 'uuidv7';
import { Pipeline, completed, policyOf } from '../pipeline.fixture';
import { operatorKey, testKey } from '../queries.fixture';
import { type DriftAlertDocument, DRIFT_ALERTS, alertDocumentOf } from '../store/drift-alerts';

jest.setTimeout(120_000);

const WINDOW = 20;
const BASELINE = 40;
const DRIFT_DURABLE = durableNameOf('evaluation', events.evaluationScored);

/** Right four times in five: the pass rate 0.8, with the spread of pass/fail scores. */
const steady = (i: number) => i % 5 !== 4;
/** Right once in ten. */
const dropped = (i: number) => i % 10 === 0;

describe('drift detection', () => {
  const tenantId = uniqueName('acme');
  const key = testKey(tenantId);
  const otherKey = testKey(uniqueName('globex'));
  const operator = operatorKey(uniqueName('operator'));
  let pipeline: Pipeline;
  let client: evaluation.EvaluationServiceClient;

  beforeAll(async () => {
    const exact = [{ evaluator: 'exact@1', samplingRate: 1, paramsJson: '' }];
    pipeline = await Pipeline.start({
      keys: [key, otherKey, operator],
      policy: policyOf({
        [tenantId]: [
          { functionName: 'capital.drops', evaluators: exact },
          { functionName: 'capital.steady', evaluators: exact },
          { functionName: 'capital.unannounced', evaluators: exact },
        ],
      }),
      env: {
        KEEL_DRIFT_WINDOW_SIZE: String(WINDOW),
        KEEL_DRIFT_BASELINE_SIZE: String(BASELINE),
        KEEL_DRIFT_ALPHA: '0.01',
        KEEL_DRIFT_MIN_DROP: '0.05',
      },
    });
    client = new evaluation.EvaluationServiceClient(
      `127.0.0.1:${pipeline.app.port}`,
      grpc.credentials.createInsecure(),
    );
  });

  afterAll(async () => {
    client?.close();
    await pipeline?.stop();
  });

  /** Publishes one answer per `right` value (right or wrong against its reference). */
  async function answer(functionName: string, right: boolean[]): Promise<void> {
    let seq = 0;
    for (const isRight of right) {
      seq = await pipeline.publish(
        completed({
          tenantId,
          functionName,
          variantName: 'v1',
          outputText: isRight ? 'Paris' : 'Lyon',
          reference: { answer: 'Paris', context: [] },
        }),
      );
    }
    await pipeline.settledThrough(seq, 60_000);
  }

  /** Resolves once the drift consumer has acked every EvaluationScored published so far. */
  async function driftSettled(): Promise<void> {
    const jsm = await jetstreamManager(pipeline.bus.connection);
    const stream = streamOf('evaluation', pipeline.prefix).name;
    const last = await jsm.streams.getMessage(stream, {
      last_by_subj: subjectOf(events.evaluationScored, pipeline.prefix),
    });
    await eventually(
      async () => {
        const info = await jsm.consumers.info(stream, DRIFT_DURABLE);
        return info.ack_floor.stream_seq >= last!.seq && info.num_ack_pending === 0;
      },
      { what: 'the drift consumer to ack every score', timeoutMs: 60_000 },
    );
  }

  /** How many DriftDetected are on the bus, and the latest. */
  async function driftEvents(): Promise<{ count: number; last?: evaluation.DriftDetected }> {
    const jsm = await jetstreamManager(pipeline.bus.connection);
    const stream = streamOf('evaluation', pipeline.prefix).name;
    const subject = subjectOf(events.driftDetected, pipeline.prefix);
    const info = await jsm.streams.info(stream, { subjects_filter: subject });
    const count = info.state.subjects?.[subject] ?? 0;
    if (count === 0) return { count };
    const last = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    return { count, last: events.driftDetected.codec.decode(last!.data) };
  }

  const listAlerts = (request: Partial<evaluation.ListDriftAlertsRequest>, token = key.token) =>
    call<evaluation.ListDriftAlertsResponse>(token, (metadata, callback) =>
      client.listDriftAlerts(
        evaluation.ListDriftAlertsRequest.fromPartial(request),
        metadata,
        callback,
      ),
    );

  const range = (count: number) => Array.from({ length: count }, (_, i) => i);

  it('publishes one DriftDetected and lists the alert when the pass rate drops from 0.8 to 0.1', async () => {
    await answer('capital.drops', range(BASELINE).map(steady));
    await answer('capital.drops', range(WINDOW).map(dropped));
    await driftSettled();

    const published = await driftEvents();
    expect(published.count).toBe(1);
    const { alerts } = await listAlerts({ functionName: 'capital.drops' });
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({
      tenantId,
      functionName: 'capital.drops',
      variantName: 'v1',
      evaluator: 'exact@1',
      baselineCount: BigInt(BASELINE),
      windowCount: BigInt(WINDOW),
      test: 'welch_t',
    });
    expect(alert.baselineMean).toBeCloseTo(0.8, 12);
    expect(alert.windowMean).toBeCloseTo(0.1, 12);
    expect(alert.statistic).toBeLessThan(0);
    expect(alert.pValue).toBeLessThan(0.01);
    expect(published.last?.alert).toEqual(alert);
  });

  it('does not alert again while the drop persists, over two more windows', async () => {
    // Measured against the 40 scores before each window, the first of them would be a drop
    // again (half its baseline is from before the drop); the alerted window starts the baseline.
    await answer('capital.drops', range(2 * WINDOW).map(dropped));
    await driftSettled();

    expect((await driftEvents()).count).toBe(1);
    expect((await listAlerts({ functionName: 'capital.drops' })).alerts).toHaveLength(1);
  });

  it('raises no alert on a steady run whose windows have the noise of its baseline', async () => {
    await answer('capital.steady', range(BASELINE + 4 * WINDOW).map(steady));
    await driftSettled();

    expect((await listAlerts({ functionName: 'capital.steady' })).alerts).toEqual([]);
    expect((await driftEvents()).count).toBe(1);
  });

  it('announces an alert stored before its DriftDetected could be published, at the next check', async () => {
    const key = {
      tenant_id: tenantId,
      function_name: 'capital.unannounced',
      variant_name: 'v1',
      evaluator: 'exact@1',
    };
    const result = {
      baselineMean: 0.9,
      baselineCount: BASELINE,
      windowMean: 0.3,
      windowCount: WINDOW,
      statistic: -6,
      pValue: 1e-6,
      drop: true,
    };
    const stored = alertDocumentOf(
      key,
      result,
      { startId: uuidv7(), endId: uuidv7() },
      uuidv7(),
      new Date(),
    );
    const alerts = pipeline.store.collection<DriftAlertDocument>(DRIFT_ALERTS);
    await alerts.insertOne({ ...stored });

    await answer('capital.unannounced', range(WINDOW).map(steady));
    await driftSettled();

    const published = await driftEvents();
    expect(published.count).toBe(2);
    expect(published.last?.alert).toMatchObject({
      alertId: stored.alert_id,
      functionName: 'capital.unannounced',
      windowMean: 0.3,
    });
    expect(await alerts.findOne({ alert_id: stored.alert_id })).toMatchObject({ published: true });
  });

  it("keeps tenants apart: another tenant's key sees none, an operator may name the tenant", async () => {
    expect((await listAlerts({}, otherKey.token)).alerts).toEqual([]);
    await expect(listAlerts({ tenantId }, otherKey.token)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    const named = await listAlerts({ tenantId }, operator.token);
    // Newest first.
    expect(named.alerts.map((alert) => alert.functionName)).toEqual([
      'capital.unannounced',
      'capital.drops',
    ]);
  });

  it('refuses a limit above 1,000, naming the field', async () => {
    await expect(listAlerts({ limit: 1_001 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('limit'),
    });
  });
});
