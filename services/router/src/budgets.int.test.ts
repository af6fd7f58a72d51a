import { status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { SnapshotReader, codeOf, startTestRouter, type TestRouter } from './router.fixture';

const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;
const { BUDGET_PERIOD_DAY, BUDGET_PERIOD_MONTH, BUDGET_PERIOD_UNSPECIFIED } = router.BudgetPeriod;
const { BUDGET_ACTION_REFUSE, BUDGET_ACTION_DOWNGRADE } = router.BudgetAction;

describe('budgets', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let tenantId: string;
  let admin: string;
  let inferenceOnly: string;
  let otherTenantId: string;
  let otherAdmin: string;

  beforeAll(async () => {
    r = await startTestRouter();
    reader = await SnapshotReader.open(r.prefix);
    const acme = await r.client.createTenant(r.operatorToken, {
      name: 'Acme',
      keyScopes: [API_KEY_SCOPE_ADMIN],
    });
    tenantId = acme.tenant!.tenantId;
    admin = acme.apiKeySecret;
    const inference = await r.client.createApiKey(admin, { scopes: [API_KEY_SCOPE_INFERENCE] });
    inferenceOnly = inference.apiKeySecret;
    const globex = await r.client.createTenant(r.operatorToken, {
      name: 'Globex',
      keyScopes: [API_KEY_SCOPE_ADMIN],
    });
    otherTenantId = globex.tenant!.tenantId;
    otherAdmin = globex.apiKeySecret;
    await r.client.putFunction(admin, {
      functionName: 'support.answer',
      variants: [
        { variantName: 'large', modelChain: ['sim-large'], defaultMaxTokens: 0 },
        { variantName: 'small', modelChain: ['sim-small'], defaultMaxTokens: 0 },
      ],
    });
  });

  afterAll(async () => {
    await reader.close();
    await r.stop();
  });

  async function publishedBudgets(id: string): Promise<router.Budget[] | undefined> {
    return (await reader.policy()).snapshot.tenants.find((t) => t.tenantId === id)?.budgets;
  }

  const monthlyCap: Partial<router.Budget> = {
    budgetName: 'monthly-cap',
    period: BUDGET_PERIOD_MONTH,
    limitNanoUsd: 5_000_000_000_000n,
    action: BUDGET_ACTION_REFUSE,
  };

  it('stores a budget with the default alert percents and publishes it in the policy snapshot', async () => {
    const put = await r.client.putBudget(admin, monthlyCap);
    expect(put.budget).toMatchObject({
      tenantId,
      budgetName: 'monthly-cap',
      functionName: '',
      period: BUDGET_PERIOD_MONTH,
      limitNanoUsd: 5_000_000_000_000n,
      alertPercents: [50, 80, 100],
      action: BUDGET_ACTION_REFUSE,
    });
    expect(put.policyVersion).toBeGreaterThan(0n);
    const published = await reader.policy();
    expect(published.version).toBe(put.policyVersion);
    expect(await publishedBudgets(tenantId)).toEqual([put.budget]);
  });

  it('stores a DOWNGRADE budget of a function naming one of its variants', async () => {
    const put = await r.client.putBudget(admin, {
      budgetName: 'answer-daily',
      functionName: 'support.answer',
      period: BUDGET_PERIOD_DAY,
      limitNanoUsd: 1_000_000n,
      alertPercents: [90, 50, 90],
      action: BUDGET_ACTION_DOWNGRADE,
      downgradeVariant: 'small',
    });
    expect(put.budget?.alertPercents).toEqual([50, 90]);
    const listed = await r.client.listBudgets(admin);
    expect(listed.budgets.map((b) => b.budgetName)).toEqual(['answer-daily', 'monthly-cap']);
    expect((await publishedBudgets(tenantId))?.map((b) => b.budgetName)).toEqual([
      'answer-daily',
      'monthly-cap',
    ]);
  });

  it('refuses each wrong field with INVALID_ARGUMENT naming it, storing nothing', async () => {
    const cases: Array<[Partial<router.Budget>, RegExp]> = [
      [{ budgetName: '' }, /budget\.budget_name: '' must be 1 to 63/],
      [{ budgetName: 'Monthly.Cap' }, /budget\.budget_name: 'Monthly\.Cap'/],
      [{ limitNanoUsd: 0n }, /budget\.limit_nano_usd: must be above 0/],
      [{ limitNanoUsd: -5n }, /budget\.limit_nano_usd: must be above 0/],
      [{ limitNanoUsd: 2n ** 60n }, /budget\.limit_nano_usd: must be at most/],
      [{ period: BUDGET_PERIOD_UNSPECIFIED }, /budget\.period: must be BUDGET_PERIOD_DAY/],
      [{ alertPercents: [50, 0] }, /budget\.alert_percents\[1\]: must be from 1 to 1000/],
      [{ alertPercents: [1001] }, /budget\.alert_percents\[0\]: must be from 1 to 1000/],
      [{ functionName: 'nope' }, /budget\.function_name: function 'nope' does not exist/],
      [
        { action: BUDGET_ACTION_DOWNGRADE, downgradeVariant: 'small' },
        /budget\.function_name: a DOWNGRADE budget names the function/,
      ],
      [
        { action: BUDGET_ACTION_DOWNGRADE, functionName: 'support.answer', downgradeVariant: 'x' },
        /budget\.downgrade_variant: 'x' is not a variant of function 'support\.answer' \(its variants: large, small\)/,
      ],
      [{ downgradeVariant: 'small' }, /budget\.downgrade_variant: only a BUDGET_ACTION_DOWNGRADE/],
    ];
    for (const [change, message] of cases) {
      const call = r.client.putBudget(admin, { ...monthlyCap, budgetName: 'refused', ...change });
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
    const names = (await r.client.listBudgets(admin)).budgets.map((b) => b.budgetName);
    expect(names).toEqual(['answer-daily', 'monthly-cap']);
  });

  it('needs the admin scope, and keeps tenants apart unless an operator names one', async () => {
    expect(await codeOf(r.client.putBudget(inferenceOnly, monthlyCap))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(await codeOf(r.client.listBudgets(otherAdmin, tenantId))).toBe(status.PERMISSION_DENIED);
    expect((await r.client.listBudgets(otherAdmin)).budgets).toEqual([]);
    const byOperator = await r.client.putBudget(r.operatorToken, {
      ...monthlyCap,
      tenantId: otherTenantId,
    });
    expect(byOperator.budget?.tenantId).toBe(otherTenantId);
    expect((await r.client.listBudgets(otherAdmin)).budgets.map((b) => b.budgetName)).toEqual([
      'monthly-cap',
    ]);
    expect((await publishedBudgets(otherTenantId))?.length).toBe(1);
  });

  it('deletes a budget from the store and the snapshot; a missing one is NOT_FOUND', async () => {
    const deleted = await r.client.deleteBudget(admin, { budgetName: 'answer-daily' });
    expect((await reader.policy()).version).toBe(deleted.policyVersion);
    expect((await publishedBudgets(tenantId))?.map((b) => b.budgetName)).toEqual(['monthly-cap']);
    expect(await codeOf(r.client.deleteBudget(admin, { budgetName: 'answer-daily' }))).toBe(
      status.NOT_FOUND,
    );
  });
});
