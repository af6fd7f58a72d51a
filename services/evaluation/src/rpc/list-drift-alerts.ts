// ListDriftAlerts: the drops detected on a tenant's functions, newest first.
import type { evaluation } from '@keel/contracts';
import { type Principal, actingTenant } from '@keel/kit';
import { boundedCount } from '../domain/evaluation-query';
import { driftAlertOf, listAlerts } from '../store/drift-alerts';
import type { QueryDeps } from './deps';

export async function listDriftAlertsRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.ListDriftAlertsRequest,
): Promise<evaluation.ListDriftAlertsResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const limit = boundedCount('limit', request.limit, 100, 1_000);
  const alerts = await listAlerts(
    deps.store,
    { tenantId, functionName: request.functionName, variantName: request.variantName },
    limit,
  );
  return { alerts: alerts.map(driftAlertOf) };
}
