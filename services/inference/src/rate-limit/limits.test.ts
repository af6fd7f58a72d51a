import { builtinCatalog } from '@keel/catalog';
import { router } from '@keel/contracts';
import { Policy } from '@keel/routing';
import { describeLimit, limitsOf } from './limits';

const policy = Policy.from(
  router.PolicySnapshot.fromPartial({
    catalog: builtinCatalog(1n),
    tenants: [
      {
        tenantId: 't1',
        defaultFunctionName: 'a',
        settings: { rateLimit: { requestsPerMinute: 100n, tokensPerMinute: 0n } },
        functions: [
          {
            tenantId: 't1',
            functionName: 'a',
            rateLimit: { requestsPerMinute: 0n, tokensPerMinute: 5_000n },
          },
          { tenantId: 't1', functionName: 'b' },
        ],
      },
      {
        tenantId: 't2',
        defaultFunctionName: 'a',
        functions: [{ tenantId: 't2', functionName: 'a' }],
      },
    ],
  }),
  1n,
);

describe('limitsOf', () => {
  it('holds the tenant’s limits and the function’s, leaving out the kinds set to 0', () => {
    expect(limitsOf(policy, 't1', 'a')).toEqual([
      { scope: { tenantId: 't1', functionName: null }, kind: 'rpm', perMinute: 100 },
      { scope: { tenantId: 't1', functionName: 'a' }, kind: 'tpm', perMinute: 5_000 },
    ]);
    expect(limitsOf(policy, 't1', 'b')).toEqual([
      { scope: { tenantId: 't1', functionName: null }, kind: 'rpm', perMinute: 100 },
    ]);
  });

  it('is empty for a tenant that set no limit', () => {
    expect(limitsOf(policy, 't2', 'a')).toEqual([]);
  });

  it('describes a limit as a caller reads it', () => {
    const [tenantWide, perFunction] = limitsOf(policy, 't1', 'a');
    expect(describeLimit(tenantWide)).toBe('tenant t1 100 requests per minute');
    expect(describeLimit(perFunction)).toBe("function 'a' of tenant t1 5000 tokens per minute");
  });
});
