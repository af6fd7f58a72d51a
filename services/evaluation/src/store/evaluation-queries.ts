// Reads of the evaluation store for analysts' queries. Every read names the tenant first.
import type { Store } from '@keel/store';
import type { Filter, FindCursor } from 'mongodb';
import type { EvaluationQuery } from '../domain/evaluation-query';
import type { PagePosition } from '../domain/page-token';
import { type EvaluationDocument, evaluationsOf } from './evaluations';
import { type InferenceDocument, inferencesOf } from './inferences';
import { tagPairOf } from './tags';

/** The evaluations a query selects. */
export function evaluationFilterOf(query: EvaluationQuery): Filter<EvaluationDocument> {
  const filter: Filter<EvaluationDocument> = { tenant_id: query.tenantId };
  if (query.functionName) filter.function_name = query.functionName;
  if (query.variantName) filter.variant_name = query.variantName;
  if (query.model) filter.model = query.model;
  if (query.evaluator) filter.evaluator = query.evaluator;
  if (query.label) filter.label = query.label;
  const tags = Object.entries(query.tags);
  // One equality per pair: each must be among the evaluation's tags.
  if (tags.length > 0) filter.$and = tags.map(([key, value]) => ({ tags: tagPairOf(key, value) }));
  if (query.from || query.to) {
    filter.inference_occurred_at = {
      ...(query.from ? { $gte: query.from } : {}),
      ...(query.to ? { $lt: query.to } : {}),
    };
  }
  return filter;
}

const NEWEST_FIRST = { inference_occurred_at: -1, evaluation_id: -1 } as const;

/** Up to `limit` evaluations after `after`, newest first. */
export function listEvaluationDocuments(
  store: Store,
  query: EvaluationQuery,
  limit: number,
  after?: PagePosition,
): Promise<EvaluationDocument[]> {
  const filter = evaluationFilterOf(query);
  if (after) {
    filter.$or = [
      { inference_occurred_at: { $lt: after.occurredAt } },
      { inference_occurred_at: after.occurredAt, evaluation_id: { $lt: after.evaluationId } },
    ];
  }
  return evaluationsOf(store).find(filter, { sort: NEWEST_FIRST, limit }).toArray();
}

/** What an aggregate reads of each evaluation. */
const AGGREGATED_FIELDS = {
  function_name: 1,
  variant_name: 1,
  model: 1,
  evaluator: 1,
  label: 1,
  tags: 1,
  hour_start: 1,
  day_start: 1,
  score: 1,
  failed: 1,
} as const;

/** The fields of every matching evaluation an aggregate reads, as a cursor. */
export function aggregatedEvaluations(
  store: Store,
  query: EvaluationQuery,
): FindCursor<Pick<EvaluationDocument, keyof typeof AGGREGATED_FIELDS>> {
  return evaluationsOf(store).find(evaluationFilterOf(query), {
    projection: { _id: 0, ...AGGREGATED_FIELDS },
  });
}

/** Every matching evaluation, newest first, read as a cursor (exports). */
export function streamEvaluationDocuments(
  store: Store,
  query: EvaluationQuery,
  newestFirst = false,
): FindCursor<EvaluationDocument> {
  const cursor = evaluationsOf(store).find(evaluationFilterOf(query));
  return newestFirst ? cursor.sort(NEWEST_FIRST) : cursor;
}

/** Matching evaluations, lowest score first (ties: newest first). */
export function lowestScoredEvaluations(
  store: Store,
  query: EvaluationQuery,
): FindCursor<EvaluationDocument> {
  return evaluationsOf(store)
    .find(evaluationFilterOf(query))
    .sort({ score: 1, inference_occurred_at: -1, evaluation_id: 1 });
}

/** Every evaluation of the given inferences of one tenant. */
export function evaluationsOfInferences(
  store: Store,
  tenantId: string,
  inferenceIds: string[],
): Promise<EvaluationDocument[]> {
  return evaluationsOf(store)
    .find({ tenant_id: tenantId, inference_id: { $in: inferenceIds } })
    .sort({ evaluator: 1 })
    .toArray();
}

export function inferencesByIds(
  store: Store,
  tenantId: string,
  inferenceIds: string[],
): Promise<InferenceDocument[]> {
  return inferencesOf(store)
    .find({ tenant_id: tenantId, inference_id: { $in: inferenceIds } })
    .toArray();
}

/** The last user message of each of the given inferences of one tenant, by inference id. */
export async function lastUserMessagesOf(
  store: Store,
  tenantId: string,
  inferenceIds: string[],
): Promise<Map<string, string>> {
  const docs = await inferencesOf(store)
    .find(
      { tenant_id: tenantId, inference_id: { $in: inferenceIds } },
      { projection: { inference_id: 1, last_user_message: 1 } },
    )
    .toArray();
  return new Map(docs.map((doc) => [doc.inference_id, doc.last_user_message]));
}
