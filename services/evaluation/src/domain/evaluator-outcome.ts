// Runs one planned evaluator on one answer, the same way for the pipeline and for experiments:
// a verdict, a skip (it does not apply) or an error (it threw, or can never run here). A
// transient failure (the judge unreachable) rejects instead, for the caller to retry.
import { DeadlineExceededError, ResourceExhaustedError, UnavailableError } from '@keel/errors';
import type { EvaluatedInference, JudgeClient, Verdict } from '@keel/evaluators';
import type { PlannedEvaluator } from './evaluation-plans';

export type EvaluatorOutcome =
  | { kind: 'run'; verdict: Verdict }
  | { kind: 'skip'; reason: string }
  | { kind: 'error'; reason: string; error?: unknown };

export async function evaluatorOutcome(
  planned: PlannedEvaluator,
  evaluated: EvaluatedInference,
  judge: JudgeClient,
): Promise<EvaluatorOutcome> {
  if (!planned.runnable) return { kind: 'error', reason: planned.problem ?? 'it cannot run' };
  const { definition, params } = planned.runnable;
  try {
    const skip = definition.skipReason(evaluated, params);
    if (skip !== undefined) return { kind: 'skip', reason: skip };
    return { kind: 'run', verdict: await definition.evaluate(evaluated, params, { judge }) };
  } catch (error) {
    if (isTransient(error)) throw error;
    return { kind: 'error', reason: (error as Error).message ?? String(error), error };
  }
}

/** A failure that may pass (the judge unreachable): retried, not counted. */
function isTransient(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (
      cause instanceof UnavailableError ||
      cause instanceof DeadlineExceededError ||
      cause instanceof ResourceExhaustedError
    ) {
      return true;
    }
  }
  return false;
}
