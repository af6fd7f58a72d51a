// An analyst reads usage and cost with `keel usage`, and an operator reconciles the rollups
// with `keel billing reconcile`, against the billing service on the real servers, fed through
// its consumer.
import { billing } from '@keel/contracts';
import { uniqueName } from '@keel/testing';
import {
  ReportsDeployment,
  type TestKey,
  analyticsKey,
  billableEvent,
} from '../../services/billing/src/reports.fixture';
import { runCli } from '../support/cli';

jest.setTimeout(120_000);

describe('keel usage', () => {
  let deployment: ReportsDeployment;
  let key: TestKey;
  let operator: TestKey;
  let env: NodeJS.ProcessEnv;
  const tenant = uniqueName('acme');

  beforeAll(async () => {
    deployment = await ReportsDeployment.start();
    key = analyticsKey(tenant);
    operator = analyticsKey(uniqueName('operator'), true);
    await deployment.publishKeys([key, operator]);
    env = { KEEL_BILLING_ADDR: deployment.address, KEEL_API_KEY: key.token };
    const event = (functionName: string, iso: string) =>
      billableEvent({ tenantId: tenant, functionName, occurredAt: new Date(iso) });
    await deployment.bill(
      event('checkout', '2026-11-28T10:00:00Z'),
      event('checkout', '2026-11-29T10:00:00Z'),
      event('search', '2026-11-29T11:00:00Z'),
    );
  });

  afterAll(async () => {
    await deployment.stop();
  });

  it('prints a table by function and day, with a total line and the unbilled count', async () => {
    const result = await runCli(['usage', '--by', 'function', '--period', 'day'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...lines] = result.stdout.trimEnd().split('\n');
    expect(header.split(/\s+/)).toEqual([
      'period_start',
      'function',
      'inferences',
      'calls',
      'input',
      'output',
      'cost_usd',
      'per_inference_usd',
      'cache_hits',
      'saved_usd',
      'unpriced',
    ]);
    const cells = lines.map((line) => line.split(/\s+/));
    expect(cells.slice(0, 4).map((row) => row.slice(0, 4))).toEqual([
      ['2026-11-28T00:00:00.000Z', 'checkout', '1', '2'],
      ['2026-11-29T00:00:00.000Z', 'checkout', '1', '2'],
      ['2026-11-29T00:00:00.000Z', 'search', '1', '2'],
      ['total', '3', '6', '6000'],
    ]);
    expect(lines.at(-1)).toBe('unbilled: 0');
  });

  it('prints CSV with every figure in integers, and JSON that decodes as the response', async () => {
    const csv = await runCli(['usage', '--by', 'function', '--format', 'csv'], env);
    expect(csv).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = csv.stdout.trimEnd().split('\n');
    expect(header).toBe(
      'function,inferences,calls,input_tokens,output_tokens,cached_input_tokens,' +
        'cache_write_input_tokens,reasoning_tokens,cost_nano_usd,cost_per_inference_nano_usd,' +
        'cache_hits,cache_saved_nano_usd,unpriced_calls',
    );
    expect(rows.map((row) => row.split(',').slice(0, 3))).toEqual([
      ['checkout', '2', '4'],
      ['search', '1', '2'],
    ]);

    const json = await runCli(['usage', '--format', 'json'], env);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const reply = billing.GetUsageResponse.fromJSON(JSON.parse(json.stdout));
    const direct = await deployment.usage({}, key.token);
    expect(reply).toEqual(direct);
  });

  it('ranks the functions by spend', async () => {
    const result = await runCli(['usage', 'top', '--limit', '1'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [, ...rows] = result.stdout.trimEnd().split('\n');
    expect(rows.map((row) => row.split(/\s+/).slice(0, 2))).toEqual([['checkout', '2']]);
  });

  it("says why another tenant's report is refused", async () => {
    const result = await runCli(['usage', '--tenant', 'someone-else'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("tenant 'someone-else' is not this API key's tenant");
  });

  it('reconciles: finds a planted mismatch, repairs it, then finds none', async () => {
    await deployment.rollups.updateOne(
      { tenant_id: tenant, function_name: 'search', model: 'sim-small' },
      { $inc: { calls: 5n } },
    );
    const admin = { ...env, KEEL_ADMIN_KEY: operator.token };
    const found = await runCli(['billing', 'reconcile', '--tenant', tenant], admin);
    expect(found).toMatchObject({ code: 0, stderr: '' });
    expect(found.stdout).toContain('mismatches: 1\n');
    expect(found.stdout).toContain(`${tenant}/search/default/sim-small/sim/2026-11-29T11`);

    const repaired = await runCli(['billing', 'reconcile', '--tenant', tenant, '--repair'], admin);
    expect(repaired.stdout).toContain('mismatches: 1 (repaired)');
    const after = await runCli(['billing', 'reconcile', '--tenant', tenant, '--json'], admin);
    const reply = billing.ReconcileResponse.fromJSON(JSON.parse(after.stdout));
    expect(reply.mismatches).toEqual([]);
    expect(reply.rollupsChecked).toBe(6n);
  });
});
