import type { evaluation } from '@keel/contracts';
import { actingTenant, type Principal } from '@keel/kit';
import { checkDatasetName } from '../domain/dataset-requests';
import type { DatasetDeps } from './dataset-deps';

/** Creates a dataset; creating one that exists returns it unchanged. */
export async function createDatasetRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.CreateDatasetRequest,
): Promise<evaluation.CreateDatasetResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  checkDatasetName(request.datasetName);
  const { dataset } = await deps.datasets.create({
    tenant_id: tenantId,
    dataset_name: request.datasetName,
    description: request.description,
    created_at: new Date(),
  });
  return { dataset };
}
