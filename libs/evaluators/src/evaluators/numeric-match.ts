import { defineEvaluator, verdict } from '../define';
import { finalNumber } from '../numbers';
import { NO_REFERENCE, referenceAnswer } from '../reference';

export interface NumericMatchParams {
  /** The largest difference still counted as equal. */
  tolerance: number;
}

/** Skip reason: the reference answer has no number to compare with. */
export const REFERENCE_NOT_NUMERIC = 'reference_not_numeric';

/**
 * GSM8K-style: the final number of the answer (after `####`, in `\boxed{}`, after "answer is",
 * else the last one) against the reference answer's final number. `$1,234.50`, `-5` and
 * `18.` read as the numbers they are; `20.00` equals `20`.
 */
export const numericMatch = defineEvaluator<NumericMatchParams>({
  id: 'numeric_match@1',
  description: "Whether the answer's final number equals the reference answer's.",
  paramsSchema: {
    type: 'object',
    properties: { tolerance: { type: 'number', minimum: 0, default: 1e-6 } },
    additionalProperties: false,
  },
  skipReason: (inference) => {
    const reference = referenceAnswer(inference);
    if (reference === undefined) return NO_REFERENCE;
    return finalNumber(reference) === undefined ? REFERENCE_NOT_NUMERIC : undefined;
  },
  score: (inference, params) => {
    const expected = finalNumber(referenceAnswer(inference) ?? '') ?? Number.NaN;
    const answered = finalNumber(inference.outputText);
    if (answered === undefined) {
      return verdict(0, 'no_number', `The answer has no number; expected ${expected}.`, true);
    }
    return Math.abs(answered - expected) <= params.tolerance
      ? verdict(1, 'match', `The final number ${answered} equals the reference.`, false)
      : verdict(0, 'mismatch', `The final number ${answered} differs from ${expected}.`, true);
  },
});
