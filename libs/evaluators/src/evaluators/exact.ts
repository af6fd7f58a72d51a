import { defineEvaluator, verdict } from '../define';
import { NO_REFERENCE, referenceAnswer } from '../reference';
import { quote } from '../text';

export interface ExactParams {
  case_sensitive: boolean;
  trim: boolean;
}

/** 1 when the answer equals the reference answer (after NFC normalisation, and trim if asked). */
export const exact = defineEvaluator<ExactParams>({
  id: 'exact@1',
  description: 'Whether the answer equals the reference answer.',
  paramsSchema: {
    type: 'object',
    properties: {
      case_sensitive: { type: 'boolean', default: true },
      trim: { type: 'boolean', default: true },
    },
    additionalProperties: false,
  },
  skipReason: (inference) => (referenceAnswer(inference) ? undefined : NO_REFERENCE),
  score: (inference, params) => {
    const expected = referenceAnswer(inference) ?? '';
    const normalise = (text: string) => {
      const trimmed = params.trim ? text.trim() : text;
      const folded = params.case_sensitive ? trimmed : trimmed.toLowerCase();
      return folded.normalize('NFC');
    };
    return normalise(inference.outputText) === normalise(expected)
      ? verdict(1, 'match', 'The answer equals the reference answer.', false)
      : verdict(0, 'mismatch', `The answer differs from the reference ${quote(expected)}.`, true);
  },
});
