import type { evaluation } from '@keel/contracts';
import { NotFoundError } from '@keel/errors';
import { checkDatasetName } from '../domain/dataset-requests';
import type { DatasetDeps } from './dataset-deps';

/** The tenant's dataset of that name; NOT_FOUND naming it when there is none. */
export async function existingDataset(
  deps: DatasetDeps,
  tenantId: string,
  datasetName: string,
): Promise<evaluation.Dataset> {
  checkDatasetName(datasetName);
  const dataset = await deps.datasets.get(tenantId, datasetName);
  if (!dataset) {
    throw new NotFoundError(`dataset '${datasetName}' does not exist (create it first)`);
  }
  return dataset;
}
