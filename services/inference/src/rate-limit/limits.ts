// The limits a request counts against, from the policy snapshot: its tenant's (all its
// requests together) and its function's (that function alone), each in requests and in tokens
// per minute. Zero or unset means no limit of that kind.
import type { router } from '@keel/contracts';
import type { Policy } from '@keel/routing';
import type { LimitKind, LimitScope } from './window';

export interface RateLimit {
  scope: LimitScope;
  kind: LimitKind;
  perMinute: number;
}

export function limitsOf(policy: Policy, tenantId: string, functionName: string): RateLimit[] {
  return [
    ...limitsIn(policy.tenantSettings(tenantId)?.rateLimit, { tenantId, functionName: null }),
    ...limitsIn(policy.function(tenantId, functionName)?.rateLimit, { tenantId, functionName }),
  ];
}

function limitsIn(limit: router.RateLimit | undefined, scope: LimitScope): RateLimit[] {
  if (!limit) return [];
  const limits: RateLimit[] = [];
  if (limit.requestsPerMinute > 0n) {
    limits.push({ scope, kind: 'rpm', perMinute: perMinuteOf(limit.requestsPerMinute) });
  }
  if (limit.tokensPerMinute > 0n) {
    limits.push({ scope, kind: 'tpm', perMinute: perMinuteOf(limit.tokensPerMinute) });
  }
  return limits;
}

/** A limit past 2^53 - 1 is no limit any minute can reach: it is kept at that. */
function perMinuteOf(value: bigint): number {
  return Number(value > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : value);
}

/** The limit as a caller reads it: `tenant 0193… 60 requests per minute`. */
export function describeLimit({ scope, kind, perMinute }: RateLimit): string {
  const whose =
    scope.functionName === null
      ? `tenant ${scope.tenantId}`
      : `function '${scope.functionName}' of tenant ${scope.tenantId}`;
  return `${whose} ${perMinute} ${kind === 'rpm' ? 'requests' : 'tokens'} per minute`;
}
