import { evaluation } from '@keel/contracts';
import { InvalidArgumentError, NotFoundError } from '@keel/errors';
import { actingTenant, type Principal } from '@keel/kit';
import { checkCount } from '../domain/dataset-requests';
import { inputMessagesOf, referenceOf } from '../store/inferences';
import { tagsOf } from '../store/tags';
import type { DatasetDeps } from './dataset-deps';
import { existingDataset } from './existing-dataset';

/**
 * Adds the tenant's evaluated inferences as examples, each under its inference id: its input
 * messages as stored (redacted where the function redacts) and its reference.
 */
export async function addExamplesFromInferencesRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.AddExamplesFromInferencesRequest,
): Promise<evaluation.AddExamplesFromInferencesResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  await existingDataset(deps, tenantId, request.datasetName);
  checkCount('inference_ids', request.inferenceIds.length);
  const examples: evaluation.DatasetExample[] = [];
  for (const [index, inferenceId] of request.inferenceIds.entries()) {
    if (inferenceId === '') {
      throw new InvalidArgumentError(`inference_ids[${index}]`, 'must not be empty');
    }
    const doc = await deps.inferences.findOne({ tenant_id: tenantId, inference_id: inferenceId });
    if (!doc) {
      throw new NotFoundError(
        `inference_ids[${index}]: inference '${inferenceId}' is not among this tenant's ` +
          'evaluated inferences (failed inferences are not kept; a new one may not be evaluated yet)',
      );
    }
    examples.push({
      exampleId: inferenceId,
      messages: inputMessagesOf(doc),
      reference: referenceOf(doc),
      tags: tagsOf(doc.tags),
      source: evaluation.ExampleSource.EXAMPLE_SOURCE_INFERENCE,
      sourceId: inferenceId,
    });
  }
  await deps.datasets.putExamples(tenantId, request.datasetName, examples, new Date());
  return {
    added: BigInt(examples.length),
    dataset: await existingDataset(deps, tenantId, request.datasetName),
  };
}
