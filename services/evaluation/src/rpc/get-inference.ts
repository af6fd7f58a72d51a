// GetInference: one inference of the tenant with its evaluations and the feedback on it (and on
// its episode), side by side.
import { evaluation } from '@keel/contracts';
import { InvalidArgumentError, NotFoundError } from '@keel/errors';
import { type Principal, actingTenant } from '@keel/kit';
import { evaluationsOfInferences, inferencesByIds } from '../store/evaluation-queries';
import { evaluationOf } from '../store/evaluations';
import { feedbackCollectionOf, feedbackOnInferences } from '../store/feedback';
import { inputMessagesOf } from '../store/inferences';
import type { QueryDeps } from './deps';

export async function getInferenceRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.GetInferenceRequest,
): Promise<evaluation.GetInferenceResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  if (request.inferenceId === '') throw new InvalidArgumentError('inference_id', 'is required');
  const ids = [request.inferenceId];
  const [[stored], evaluations] = await Promise.all([
    inferencesByIds(deps.store, tenantId, ids),
    evaluationsOfInferences(deps.store, tenantId, ids),
  ]);
  if (!stored) {
    throw new NotFoundError(
      `inference '${request.inferenceId}' not found: evaluation keeps the inferences of the ` +
        "tenant's functions once it has evaluated them",
    );
  }
  const scored = evaluations.map(evaluationOf);
  const feedback = await feedbackOnInferences(feedbackCollectionOf(deps.store), tenantId, [stored]);
  return evaluation.GetInferenceResponse.fromPartial({
    inference: {
      inferenceId: stored.inference_id,
      functionName: stored.function_name,
      variantName: stored.variant_name,
      model: stored.model,
      inputMessages: inputMessagesOf(stored),
      outputText: stored.output_text,
      evaluations: scored,
      worstScore: scored.length ? Math.min(...scored.map((e) => e.score)) : 0,
      occurredAt: stored.occurred_at,
      feedback: feedback.get(stored.inference_id) ?? [],
    },
  });
}
