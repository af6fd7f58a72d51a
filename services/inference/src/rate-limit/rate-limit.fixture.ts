// Tenants with rate limits, and the policy snapshot that holds them, for the tests of limits
// through gRPC.
import { router } from '@keel/contracts';
import { uuidv7 } from 'uuidv7';
import { INFERENCE, type TestKey, policySnapshot, testKey } from '../app.fixture';

export interface LimitedTenant {
  tenantId: string;
  key: TestKey;
  rateLimit?: Partial<router.RateLimit>;
  /** Each served by sim-small; the first is the tenant's default. */
  functions: Array<{ name: string; rateLimit?: Partial<router.RateLimit> }>;
}

export function limitedTenant(
  rateLimit: Partial<router.RateLimit> | undefined,
  functions: LimitedTenant['functions'],
): LimitedTenant {
  const tenantId = uuidv7();
  return { tenantId, key: testKey(tenantId, [INFERENCE]), rateLimit, functions };
}

/** One policy snapshot holding every tenant, with its limits and its functions' limits. */
export function limitsSnapshot(tenants: LimitedTenant[]): Uint8Array {
  const policies = tenants.map((setup) => {
    const policy = router.PolicySnapshot.decode(
      policySnapshot(
        setup.tenantId,
        setup.functions.map((fn) => ({ name: fn.name, chain: ['sim-small'] })),
      ),
    );
    const [tenantPolicy] = policy.tenants;
    if (setup.rateLimit) {
      tenantPolicy.settings = router.TenantSettings.fromPartial({ rateLimit: setup.rateLimit });
    }
    tenantPolicy.functions.forEach((fn, i) => {
      const rateLimit = setup.functions[i].rateLimit;
      if (rateLimit) fn.rateLimit = router.RateLimit.fromPartial(rateLimit);
    });
    return policy;
  });
  return router.PolicySnapshot.encode({
    ...policies[0],
    tenants: policies.flatMap((policy) => policy.tenants),
  }).finish();
}
