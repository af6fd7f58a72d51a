// The feedback recorded for a submission, on the inference (or episode) the caller's tenant owns.
import { feedback } from '@keel/contracts';
import type { Submission } from './submission';

/** Who owns an inference, as its InferenceCompleted said. */
export interface InferenceOwner {
  tenantId: string;
  inferenceId: string;
  /** Empty when the inference belongs to no episode. */
  episodeId: string;
  functionName: string;
  variantName: string;
  occurredAt: Date;
}

/**
 * `owner` is the target inference, or for an episode its latest inference: the feedback names
 * that inference's function and variant.
 */
export function newFeedback(
  submission: Submission,
  owner: InferenceOwner,
  feedbackId: string,
  createdAt: Date,
): feedback.Feedback {
  const onInference = submission.target.kind === 'inference';
  return feedback.Feedback.fromPartial({
    feedbackId,
    tenantId: owner.tenantId,
    inferenceId: onInference ? owner.inferenceId : '',
    episodeId: onInference ? '' : submission.target.id,
    functionName: owner.functionName,
    variantName: owner.variantName,
    ...submission.value,
    idempotencyKey: submission.idempotencyKey,
    createdAt,
  });
}
