import { builtinCatalog } from '@keel/catalog';
import { router } from '@keel/contracts';
import { newApiKey } from '@keel/kit';
import { planTenant } from './tenant';

const catalog = builtinCatalog(2n);
const now = new Date('2025-08-01T00:00:00Z');
const { API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;

describe('planTenant', () => {
  it("creates a tenant whose default function runs the catalog's default model", () => {
    const key = newApiKey();
    const plan = planTenant({
      tenantId: 't1',
      name: 'Acme',
      catalog,
      key,
      scopes: [API_KEY_SCOPE_INFERENCE],
      operator: false,
      now,
    });
    expect(plan.tenant).toEqual({
      tenantId: 't1',
      name: 'Acme',
      defaultFunctionName: 'default',
      createdAt: now,
    });
    expect(plan.defaultFunction).toEqual({
      tenantId: 't1',
      functionName: 'default',
      variants: [{ variantName: 'default', modelChain: ['sim-small'], defaultMaxTokens: 512 }],
      policy: { fixed: { variantName: 'default' } },
      updatedAt: now,
      evaluators: [],
    });
    expect(plan.apiKey).toEqual({
      keyId: key.keyId,
      tenantId: 't1',
      secretSha256: key.secretSha256,
      scopes: [API_KEY_SCOPE_INFERENCE],
      operator: false,
    });
  });
});
