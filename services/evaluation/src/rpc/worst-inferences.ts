// WorstInferences: the inferences whose lowest matching score is lowest, each with its text and
// every evaluation it has.
import { actingTenant } from '@keel/kit';
import { evaluation } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import { boundedCount, evaluationQueryOf } from '../domain/evaluation-query';
import {
  evaluationsOfInferences,
  inferencesByIds,
  lowestScoredEvaluations,
} from '../store/evaluation-queries';
import { evaluationOf } from '../store/evaluations';
import { feedbackCollectionOf, feedbackOnInferences } from '../store/feedback';
import { inputMessagesOf } from '../store/inferences';
import type { QueryDeps } from './deps';

export async function worstInferencesRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.WorstInferencesRequest,
): Promise<evaluation.WorstInferencesResponse> {
  const tenantId = actingTenant(principal, request.filter?.tenantId ?? '');
  const query = evaluationQueryOf(request.filter, tenantId);
  const limit = boundedCount('limit', request.limit, 10, 100);

  // The first evaluation seen of an inference, lowest first, is its worst matching one.
  const worst = new Map<string, number>();
  const cursor = lowestScoredEvaluations(deps.store, query);
  try {
    for await (const doc of cursor) {
      if (!worst.has(doc.inference_id)) worst.set(doc.inference_id, Number(doc.score));
      if (worst.size === limit) break;
    }
  } finally {
    await cursor.close();
  }
  const ids = [...worst.keys()];
  const [inferences, evaluations] = await Promise.all([
    inferencesByIds(deps.store, tenantId, ids),
    evaluationsOfInferences(deps.store, tenantId, ids),
  ]);
  const inferenceById = new Map(inferences.map((doc) => [doc.inference_id, doc]));
  const feedback = await feedbackOnInferences(
    feedbackCollectionOf(deps.store),
    tenantId,
    ids.map((id) => inferenceById.get(id) ?? { inference_id: id }),
  );
  return evaluation.WorstInferencesResponse.fromPartial({
    inferences: ids.map((id) => {
      const own = evaluations.filter((doc) => doc.inference_id === id);
      const stored = inferenceById.get(id);
      // Evaluations name the inference's function, variant and model even without its text.
      const first = own[0];
      return {
        inferenceId: id,
        functionName: stored?.function_name ?? first?.function_name ?? '',
        variantName: stored?.variant_name ?? first?.variant_name ?? '',
        model: stored?.model ?? first?.model ?? '',
        inputMessages: stored ? inputMessagesOf(stored) : [],
        outputText: stored?.output_text ?? '',
        evaluations: own.map(evaluationOf),
        worstScore: worst.get(id) ?? 0,
        occurredAt: stored?.occurred_at ?? first?.inference_occurred_at,
        feedback: feedback.get(id) ?? [],
      };
    }),
  });
}
