// The UsageFilter every report takes: the acting tenant, and the hours it covers.
import { billing } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type Principal, actingTenant } from '@keel/kit';
import { hourOf } from '../domain/usage';
import type { RollupQuery } from '../store/rollups';

export function rollupQueryOf(
  principal: Principal,
  filter: billing.UsageFilter | undefined,
): RollupQuery & { tenantId: string } {
  const given = filter ?? billing.UsageFilter.fromPartial({});
  const from = given.from && hourOf(given.from);
  const to = given.to && hourOf(given.to);
  if (from && to && from >= to) {
    throw new InvalidArgumentError(
      'filter.to',
      `${to.toISOString()} (rounded down to the hour) is not after filter.from ${from.toISOString()}`,
    );
  }
  return {
    tenantId: actingTenant(principal, given.tenantId),
    from,
    to,
    functionName: given.functionName,
    variantName: given.variantName,
    model: given.model,
    provider: given.provider,
  };
}
