import { billing } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import { checkGrouping, usageRows } from '../domain/usage';
import { BILLING_DURABLE } from '../consumers/inference-completed';
import { unbilledOf } from '../store/unbilled';
import type { ReportDeps } from './deps';
import { rollupQueryOf } from './filter';

export async function getUsageRpc(
  deps: ReportDeps,
  principal: Principal,
  request: billing.GetUsageRequest,
): Promise<billing.GetUsageResponse> {
  checkGrouping(request.groupBy, request.period);
  const query = rollupQueryOf(principal, request.filter);
  const { rows, totals } = usageRows(
    await deps.writer.findRollups(query),
    request.groupBy,
    request.period,
  );
  // An unbilled inference has no priced call, so the provider filter does not apply to it.
  const unbilled = await unbilledOf(deps.deadLetters, BILLING_DURABLE, query);
  return billing.GetUsageResponse.fromPartial({ rows, totals, unbilled });
}
