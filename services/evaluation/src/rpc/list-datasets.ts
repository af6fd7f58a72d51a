import type { evaluation } from '@keel/contracts';
import { actingTenant, type Principal } from '@keel/kit';
import type { DatasetDeps } from './dataset-deps';

export async function listDatasetsRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.ListDatasetsRequest,
): Promise<evaluation.ListDatasetsResponse> {
  return { datasets: await deps.datasets.list(actingTenant(principal, request.tenantId)) };
}
