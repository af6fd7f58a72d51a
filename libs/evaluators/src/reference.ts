import type { EvaluatedInference } from './evaluator';

/** The skip reason of an evaluator that needs the request's reference answer. */
export const NO_REFERENCE = 'no_reference';

/** The request's reference answer, or undefined when it sent none (or an empty one). */
export function referenceAnswer(inference: EvaluatedInference): string | undefined {
  const answer = inference.reference?.answer;
  return answer ? answer : undefined;
}
