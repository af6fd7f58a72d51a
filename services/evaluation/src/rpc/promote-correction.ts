import { evaluation } from '@keel/contracts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@keel/errors';
import { actingTenant, type Principal } from '@keel/kit';
import { feedbackById } from '../store/feedback';
import { inputMessagesOf, referenceOf } from '../store/inferences';
import type { DatasetDeps } from './dataset-deps';
import { existingDataset } from './existing-dataset';

/**
 * Adds the inference a correction was given on as an example, under the feedback's id: its
 * input messages, with the correction as the reference answer (its reference's context kept).
 */
export async function promoteCorrectionRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.PromoteCorrectionRequest,
): Promise<evaluation.PromoteCorrectionResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  await existingDataset(deps, tenantId, request.datasetName);
  if (request.feedbackId === '') throw new InvalidArgumentError('feedback_id', 'must not be empty');
  const given = await feedbackById(deps.feedback, tenantId, request.feedbackId);
  if (!given) {
    throw new NotFoundError(
      `feedback '${request.feedbackId}' does not exist (new feedback may take a moment to arrive)`,
    );
  }
  if (given.correction === undefined) {
    throw new FailedPreconditionError(
      `feedback '${request.feedbackId}' is not a correction; only a correction can be promoted`,
    );
  }
  if (given.inferenceId === '') {
    throw new FailedPreconditionError(
      `feedback '${request.feedbackId}' is on an episode, not an inference: it has no input to promote`,
    );
  }
  const doc = await deps.inferences.findOne({
    tenant_id: tenantId,
    inference_id: given.inferenceId,
  });
  if (!doc) {
    throw new NotFoundError(
      `inference '${given.inferenceId}' of feedback '${request.feedbackId}' is not among this ` +
        "tenant's evaluated inferences",
    );
  }
  const example: evaluation.DatasetExample = {
    exampleId: given.feedbackId,
    messages: inputMessagesOf(doc),
    reference: { answer: given.correction, context: referenceOf(doc)?.context ?? [] },
    tags: {},
    source: evaluation.ExampleSource.EXAMPLE_SOURCE_CORRECTION,
    sourceId: given.feedbackId,
  };
  await deps.datasets.putExamples(tenantId, request.datasetName, [example], new Date());
  return { example, dataset: await existingDataset(deps, tenantId, request.datasetName) };
}
