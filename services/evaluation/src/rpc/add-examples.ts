import { evaluation } from '@keel/contracts';
import { actingTenant, type Principal } from '@keel/kit';
import { checkExamples } from '../domain/dataset-requests';
import type { DatasetDeps } from './dataset-deps';
import { existingDataset } from './existing-dataset';

/** Adds examples given whole, replacing any with the same id. */
export async function addExamplesRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.AddExamplesRequest,
): Promise<evaluation.AddExamplesResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  await existingDataset(deps, tenantId, request.datasetName);
  checkExamples(request.examples);
  const examples = request.examples.map((example) => ({
    ...example,
    source: evaluation.ExampleSource.EXAMPLE_SOURCE_FILE,
  }));
  await deps.datasets.putExamples(tenantId, request.datasetName, examples, new Date());
  return {
    added: BigInt(examples.length),
    dataset: await existingDataset(deps, tenantId, request.datasetName),
  };
}
