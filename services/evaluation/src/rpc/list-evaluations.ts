// ListEvaluations: newest first, a page at a time; the token carries where the page ended.
import { actingTenant } from '@keel/kit';
import { evaluation } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import { boundedCount, evaluationQueryOf } from '../domain/evaluation-query';
import { pagePositionOf, pageTokenOf } from '../domain/page-token';
import { listEvaluationDocuments } from '../store/evaluation-queries';
import { evaluationOf } from '../store/evaluations';
import type { QueryDeps } from './deps';

export async function listEvaluationsRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.ListEvaluationsRequest,
): Promise<evaluation.ListEvaluationsResponse> {
  const tenantId = actingTenant(principal, request.filter?.tenantId ?? '');
  const query = evaluationQueryOf(request.filter, tenantId);
  const pageSize = boundedCount('page_size', request.pageSize, 100, 1000);
  const after = pagePositionOf(query, request.pageToken);
  // One more than the page tells whether another page follows.
  const docs = await listEvaluationDocuments(deps.store, query, pageSize + 1, after);
  const page = docs.slice(0, pageSize);
  const last = page.at(-1);
  return evaluation.ListEvaluationsResponse.fromPartial({
    evaluations: page.map(evaluationOf),
    nextPageToken:
      docs.length > pageSize && last
        ? pageTokenOf(query, {
            occurredAt: last.inference_occurred_at,
            evaluationId: last.evaluation_id,
          })
        : '',
  });
}
