import type { evaluation } from '@keel/contracts';
import { actingTenant, type Principal } from '@keel/kit';
import { exampleAfterOf, examplePageTokenOf, pageSizeOf } from '../domain/dataset-requests';
import type { DatasetDeps } from './dataset-deps';
import { existingDataset } from './existing-dataset';

/** A page of a dataset's examples, in example id order. */
export async function listExamplesRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.ListExamplesRequest,
): Promise<evaluation.ListExamplesResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  await existingDataset(deps, tenantId, request.datasetName);
  const size = pageSizeOf(request.pageSize);
  // One more than the page, to know whether another page follows.
  const examples = await deps.datasets.examplesPage(
    tenantId,
    request.datasetName,
    exampleAfterOf(request.pageToken),
    size + 1,
  );
  const page = examples.slice(0, size);
  return {
    examples: page,
    nextPageToken:
      examples.length > size ? examplePageTokenOf(page[page.length - 1].exampleId) : '',
  };
}
