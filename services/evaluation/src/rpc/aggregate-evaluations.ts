// AggregateEvaluations: computed in this process from the matching evaluations, read as a
// projected cursor. Evaluations are written once and never updated, so the figures are exact:
// FerretDB 1.24 loses concurrent updates of one document (counters kept with $inc at write time
// undercount), and its $group gives 0 for `$sum` of a field and drops group keys after
// `$unwind`. Memory grows with the number of groups, time with the evaluations, so this suits
// queries over some tens of thousands; narrow the filter beyond that.
import { actingTenant } from '@keel/kit';
import { evaluation } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import { evaluationQueryOf } from '../domain/evaluation-query';
import { Aggregator, type GroupRow, groupingOf } from '../domain/grouping';
import { aggregatedEvaluations } from '../store/evaluation-queries';
import type { EvaluationDocument } from '../store/evaluations';
import { tagsOf } from '../store/tags';
import type { QueryDeps } from './deps';

export async function aggregateEvaluationsRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.AggregateEvaluationsRequest,
): Promise<evaluation.AggregateEvaluationsResponse> {
  const tenantId = actingTenant(principal, request.filter?.tenantId ?? '');
  const query = evaluationQueryOf(request.filter, tenantId);
  const grouping = groupingOf(request);
  const aggregator = new Aggregator(grouping);
  for await (const doc of aggregatedEvaluations(deps.store, query)) {
    aggregator.addScore(rowOfEvaluation(doc), Number(doc.score), doc.failed);
  }
  return evaluation.AggregateEvaluationsResponse.fromPartial({
    aggregates: aggregator.summaries().map(({ group, bucketStart, summary }) => ({
      group,
      bucketStart,
      count: BigInt(summary.count),
      meanScore: summary.meanScore,
      p50Score: summary.p50Score,
      p95Score: summary.p95Score,
      failureRate: summary.failureRate,
    })),
  });
}

function rowOfEvaluation(
  doc: Pick<
    EvaluationDocument,
    | 'function_name'
    | 'variant_name'
    | 'model'
    | 'evaluator'
    | 'label'
    | 'tags'
    | 'hour_start'
    | 'day_start'
  >,
): GroupRow {
  return {
    functionName: doc.function_name,
    variantName: doc.variant_name,
    model: doc.model,
    evaluator: doc.evaluator,
    label: doc.label,
    tags: tagsOf(doc.tags),
    hourStart: doc.hour_start,
    dayStart: doc.day_start,
  };
}
