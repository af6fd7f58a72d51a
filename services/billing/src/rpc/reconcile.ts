import { billing } from '@keel/contracts';
import { type Principal, requireOperator } from '@keel/kit';
import { usageTotalsOf, zeroTotals } from '../domain/usage';
import type { ReportDeps } from './deps';

export async function reconcileRpc(
  deps: ReportDeps,
  principal: Principal,
  request: billing.ReconcileRequest,
): Promise<billing.ReconcileResponse> {
  requireOperator(principal, 'reconcile the rollups');
  const result = await deps.writer.reconcile(request.tenantId || null, request.repair);
  return billing.ReconcileResponse.fromPartial({
    rollupsChecked: BigInt(result.checked),
    mismatches: result.mismatches.map(({ key, rolledUp, ledger }) => ({
      rollup: key,
      rolledUp: usageTotalsOf(rolledUp?.totals ?? zeroTotals()),
      ledger: usageTotalsOf(ledger?.totals ?? zeroTotals()),
    })),
    repaired: result.repaired,
  });
}
