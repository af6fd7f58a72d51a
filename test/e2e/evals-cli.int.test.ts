// An analyst queries the evaluation store with `keel evals`, against the evaluation service
// on the real servers, seeded through the store's write API.
import { evaluation } from '@keel/contracts';
import {
  QueryDeployment,
  type TestKey,
  testKey,
} from '../../services/evaluation/src/queries.fixture';
import { runCli } from '../support/cli';

jest.setTimeout(120_000);

describe('keel evals', () => {
  let deployment: QueryDeployment;
  let key: TestKey;
  let env: NodeJS.ProcessEnv;
  const T0 = new Date('2026-11-30T10:00:00Z');

  beforeAll(async () => {
    deployment = await QueryDeployment.start();
    key = testKey('acme');
    await deployment.publishKeys([key]);
    env = { KEEL_EVALUATION_ADDR: `127.0.0.1:${deployment.app.port}`, KEEL_API_KEY: key.token };
    const seeds = [
      ['checkout', 'red', 5, 'Refund please', 0.2],
      ['checkout', 'blue', 65, 'Refund please', 0.4],
      ['search', 'red', 70, 'Find shoes', 0.9],
    ] as const;
    for (const [functionName, team, minutes, input, score] of seeds) {
      await deployment.seed({
        tenantId: 'acme',
        functionName,
        tags: { team },
        occurredAt: new Date(T0.getTime() + minutes * 60_000),
        input,
        verdicts: { 'exact@1': { score } },
      });
    }
  });

  afterAll(async () => {
    await deployment.stop();
  });

  it('lists evaluations as a table, narrowed by the filter flags', async () => {
    const result = await runCli(
      ['evals', 'list', '--function', 'checkout', '--tag', 'team=red'],
      env,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual([
      'time',
      'inference',
      'function',
      'variant',
      'model',
      'evaluator',
      'score',
      'label',
      'failed',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('0.200');
  });

  it('aggregates grouped by function and bucketed by hour, as JSON', async () => {
    const result = await runCli(
      ['evals', 'aggregate', '--group-by', 'function', '--bucket', 'hour', '--json'],
      env,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const reply = evaluation.AggregateEvaluationsResponse.fromJSON(JSON.parse(result.stdout));
    expect(
      reply.aggregates.map((item) => [
        item.bucketStart?.toISOString(),
        item.group.function,
        Number(item.count),
      ]),
    ).toEqual([
      ['2026-11-30T10:00:00.000Z', 'checkout', 1],
      ['2026-11-30T11:00:00.000Z', 'checkout', 1],
      ['2026-11-30T11:00:00.000Z', 'search', 1],
    ]);
  });

  it('shows the worst inferences and the inputs that keep failing', async () => {
    const worst = await runCli(['evals', 'worst', '--limit', '1'], env);
    expect(worst).toMatchObject({ code: 0, stderr: '' });
    expect(worst.stdout).toMatch(
      /^0\.200 .* checkout\/v1 on sim-small\n {2}input: {2}Refund please/,
    );
    const failures = await runCli(['evals', 'failures'], env);
    expect(failures.stdout).toMatch(/^2\s+Refund please$/m);
  });

  it('exports CSV that parses back', async () => {
    const result = await runCli(['evals', 'export', '--csv'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    // Nothing here needs quoting: the columns split at commas.
    const [header, ...rows] = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const scoreColumn = header.indexOf('score');
    expect(rows.map((row) => row[scoreColumn]).sort()).toEqual(['0.2', '0.4', '0.9']);
  });

  it('refuses a bad flag naming it, and the service’s refusal naming the field', async () => {
    const flag = await runCli(['evals', 'aggregate', '--group-by', 'colour'], env);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("--group-by: unknown key 'colour'");
    const field = await runCli(['evals', 'worst', '--limit', '500'], env);
    expect(field.code).toBe(1);
    expect(field.stderr).toContain('limit: 500 is outside 0 to 100');
  });
});
