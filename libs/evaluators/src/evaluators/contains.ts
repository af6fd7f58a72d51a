import { defineEvaluator, verdict } from '../define';
import { NO_REFERENCE, referenceAnswer } from '../reference';
import { quote } from '../text';

export interface ContainsParams {
  /** The text(s) to look for; absent: the reference answer. */
  text?: string | string[];
  /** With several texts: whether any one of them is enough, or all are needed. */
  match: 'any' | 'all';
  case_sensitive: boolean;
}

/**
 * Whether the answer contains the given text(s), or the reference answer when none is given.
 * The score is the share of texts found (`all`), or 1/0 (`any`).
 */
export const contains = defineEvaluator<ContainsParams>({
  id: 'contains@1',
  description: 'Whether the answer contains a text, any or all of a list, or the reference answer.',
  paramsSchema: {
    type: 'object',
    properties: {
      text: {
        oneOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 100 },
        ],
      },
      match: { enum: ['any', 'all'], default: 'all' },
      case_sensitive: { type: 'boolean', default: false },
    },
    additionalProperties: false,
  },
  skipReason: (inference, params) =>
    params.text !== undefined || referenceAnswer(inference) ? undefined : NO_REFERENCE,
  score: (inference, params) => {
    const wanted = termsOf(params, referenceAnswer(inference) ?? '');
    const fold = (text: string) => {
      const normal = text.normalize('NFC');
      return params.case_sensitive ? normal : normal.toLowerCase();
    };
    const answer = fold(inference.outputText);
    const missing = wanted.filter((term) => !answer.includes(fold(term)));
    const found = wanted.length - missing.length;
    if (params.match === 'any') {
      return found > 0
        ? verdict(1, 'contains', `The answer contains ${found} of ${wanted.length} texts.`, false)
        : verdict(0, 'missing', `The answer contains none of ${list(wanted)}.`, true);
    }
    return missing.length === 0
      ? verdict(1, 'contains', `The answer contains all ${wanted.length} texts.`, false)
      : verdict(found / wanted.length, 'missing', `The answer lacks ${list(missing)}.`, true);
  },
});

function termsOf(params: ContainsParams, reference: string): string[] {
  if (params.text === undefined) return [reference.trim()];
  return Array.isArray(params.text) ? params.text : [params.text];
}

function list(terms: string[]): string {
  const shown = terms.slice(0, 3).map((term) => quote(term, 40));
  return terms.length > 3 ? `${shown.join(', ')} and ${terms.length - 3} more` : shown.join(', ');
}
