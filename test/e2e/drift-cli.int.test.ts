// An analyst lists the drift alerts with `keel evals drift`, against the evaluation service on
// the real servers, with alerts stored as the drift check stores them.
import { randomUUID } from 'node:crypto';
import { evaluation } from '@keel/contracts';
import {
  QueryDeployment,
  type TestKey,
  testKey,
} from '../../services/evaluation/src/queries.fixture';
import {
  DRIFT_ALERTS,
  type DriftAlertDocument,
  alertDocumentOf,
} from '../../services/evaluation/src/store/drift-alerts';
import { runCli } from '../support/cli';

jest.setTimeout(120_000);

describe('keel evals drift', () => {
  let deployment: QueryDeployment;
  let key: TestKey;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    deployment = await QueryDeployment.start();
    key = testKey('acme');
    await deployment.publishKeys([key]);
    env = { KEEL_EVALUATION_ADDR: `127.0.0.1:${deployment.app.port}`, KEEL_API_KEY: key.token };
    const alerts = deployment.store.collection<DriftAlertDocument>(DRIFT_ALERTS);
    const seeds = [
      ['checkout', 0.82, 0.41, '2026-11-30T10:00:00Z'],
      ['search', 0.9, 0.7, '2026-11-30T11:00:00Z'],
    ] as const;
    for (const [functionName, baselineMean, windowMean, at] of seeds) {
      const key = {
        tenant_id: 'acme',
        function_name: functionName,
        variant_name: 'v1',
        evaluator: 'exact@1',
      };
      const result = {
        baselineMean,
        baselineCount: 400,
        windowMean,
        windowCount: 100,
        statistic: -7.25,
        pValue: 3.1e-11,
        drop: true,
      };
      const bounds = { startId: randomUUID(), endId: randomUUID() };
      await alerts.insertOne(alertDocumentOf(key, result, bounds, randomUUID(), new Date(at)));
    }
  });

  afterAll(async () => {
    await deployment.stop();
  });

  it("prints one function's alerts as a table", async () => {
    const result = await runCli(['evals', 'drift', '--function', 'checkout'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual([
      'detected',
      'function',
      'variant',
      'evaluator',
      'baseline',
      'window',
      'test',
      'p',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].split(/\s{2,}/)).toEqual([
      '2026-11-30T10:00:00.000Z',
      'checkout',
      'v1',
      'exact@1',
      '0.820 (n=400)',
      '0.410 (n=100)',
      'welch_t -7.25',
      '3.10e-11',
    ]);
  });

  it('prints every alert, newest first, as JSON', async () => {
    const result = await runCli(['evals', 'drift', '--json'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const reply = evaluation.ListDriftAlertsResponse.fromJSON(JSON.parse(result.stdout));
    expect(reply.alerts.map((alert) => alert.functionName)).toEqual(['search', 'checkout']);
  });

  it("shows the service's refusal of a limit, naming the field", async () => {
    const result = await runCli(['evals', 'drift', '--limit', '5000'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('limit: 5000 is outside 0 to 1000');
  });
});
