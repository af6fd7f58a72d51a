// Evaluations: one document per (inference, evaluator), unique on (tenant_id, inference_id,
// evaluator), so a redelivered or republished event finds its evaluations and adds none.
import { evaluation, type inference } from '@keel/contracts';
import { type CollectionIndexes, insertOnceOrGet } from '@keel/store';
import { type Collection, Double } from 'mongodb';
import { uuidv7 } from 'uuidv7';
import type { Verdict } from '../domain/evaluators';

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
  created_at: Date;
}

export const EVALUATIONS = 'evaluations';

export const evaluationIndexes: CollectionIndexes = {
  [EVALUATIONS]: [{ key: { tenant_id: 1, inference_id: 1, evaluator: 1 }, unique: true }],
};

export function evaluationDocumentOf(
  event: inference.InferenceCompleted,
  evaluator: string,
  verdict: Verdict,
  createdAt: Date,
): EvaluationDocument {
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
    created_at: createdAt,
  };
}

/**
 * Stores the evaluation unless an earlier delivery already did; returns the evaluation as
 * stored (with its first id and time), so what evaluation announces matches the store.
 */
export async function recordEvaluation(
  evaluations: Collection<EvaluationDocument>,
  doc: EvaluationDocument,
): Promise<EvaluationDocument> {
  const key = {
    tenant_id: doc.tenant_id,
    inference_id: doc.inference_id,
    evaluator: doc.evaluator,
  };
  return (await insertOnceOrGet(evaluations, doc, key)).stored;
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
  });
}
