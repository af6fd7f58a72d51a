// Evaluations: one document per (inference, evaluator), unique on (tenant_id, inference_id,
// evaluator), so a redelivered or republished event finds its evaluations and adds none.
// Written once and never updated: aggregates are computed from these documents (see
// aggregate-evaluations.ts), as FerretDB 1.24 loses concurrent updates of one document.
import { evaluation, type inference } from '@keel/contracts';
import { insertOnceOrGet, type Store } from '@keel/store';
import { type Collection, Double } from 'mongodb';
import { uuidv7 } from 'uuidv7';
import { dayStartOf, hourStartOf } from '../domain/time-keys';
import { type TagPair, tagPairsOf, tagsOf } from './tags';

export interface EvaluationDocument {
  evaluation_id: string;
  tenant_id: string;
  inference_id: string;
  function_name: string;
  variant_name: string;
  model: string;
  /** `name@version`. */
  evaluator: string;
  /**
   * Written as a BSON double, so 0 and 1 are not stored as int32 beside fractional scores;
   * the driver reads it back as a number.
   */
  score: Double | number;
  label: string;
  reason: string;
  failed: boolean;
  /** The inference's tags (see tags.ts). */
  tags: TagPair[];
  inference_occurred_at: Date;
  /** The UTC hour and day of `inference_occurred_at`: time buckets without date expressions. */
  hour_start: Date;
  day_start: Date;
  created_at: Date;
}

/** What an evaluator concluded, as stored. */
export interface StoredVerdict {
  score: number;
  label: string;
  reason: string;
  failed: boolean;
}

export const EVALUATIONS = 'evaluations';

export function evaluationsOf(store: Store): Collection<EvaluationDocument> {
  return store.collection<EvaluationDocument>(EVALUATIONS);
}

export function evaluationDocumentOf(
  event: inference.InferenceCompleted,
  evaluator: string,
  verdict: StoredVerdict,
  createdAt: Date,
): EvaluationDocument {
  // An event always carries its time; the evaluation's own time stands in for a malformed one.
  const occurredAt = event.occurredAt ?? createdAt;
  return {
    evaluation_id: uuidv7(),
    tenant_id: event.tenantId,
    inference_id: event.inferenceId,
    function_name: event.functionName,
    variant_name: event.variantName,
    model: event.model,
    evaluator,
    score: new Double(verdict.score),
    label: verdict.label,
    reason: verdict.reason,
    failed: verdict.failed,
    tags: tagPairsOf(event.tags),
    inference_occurred_at: occurredAt,
    hour_start: hourStartOf(occurredAt),
    day_start: dayStartOf(occurredAt),
    created_at: createdAt,
  };
}

/**
 * Stores the evaluation unless an earlier delivery already did; returns the evaluation as
 * stored (with its first id and time), so what evaluation announces matches the store.
 */
export async function recordEvaluation(
  store: Store,
  doc: EvaluationDocument,
): Promise<EvaluationDocument> {
  const key = {
    tenant_id: doc.tenant_id,
    inference_id: doc.inference_id,
    evaluator: doc.evaluator,
  };
  const { stored } = await insertOnceOrGet(evaluationsOf(store), doc, key);
  return stored;
}

export function evaluationOf(stored: EvaluationDocument): evaluation.Evaluation {
  return evaluation.Evaluation.fromPartial({
    evaluationId: stored.evaluation_id,
    tenantId: stored.tenant_id,
    inferenceId: stored.inference_id,
    functionName: stored.function_name,
    variantName: stored.variant_name,
    model: stored.model,
    evaluator: stored.evaluator,
    score: Number(stored.score),
    label: stored.label,
    createdAt: stored.created_at,
    reason: stored.reason,
    failed: stored.failed,
    tags: tagsOf(stored.tags),
    inferenceOccurredAt: stored.inference_occurred_at,
  });
}
