import { InvalidArgumentError } from '@keel/errors';
import { defineEvaluator, verdict } from '../define';
import { PARAMS_FIELD } from '../params';
import { wordCount } from '../text';

export interface LengthParams {
  min_words?: number;
  max_words?: number;
  min_chars?: number;
  max_chars?: number;
}

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

/**
 * Whether the answer's length is within the function's limits, in words (UAX #29, so scripts
 * without spaces count) and/or characters (user-perceived: an emoji is one). The score falls
 * with the distance outside the limit (`limit / length` when too long, `length / limit` when
 * too short), so a slightly long answer scores near 1 while still failing.
 */
export const answerLength = defineEvaluator<LengthParams>({
  id: 'length@2',
  description: 'Whether the answer has between min and max words and/or characters.',
  paramsSchema: {
    type: 'object',
    properties: {
      min_words: { type: 'integer', minimum: 0 },
      max_words: { type: 'integer', minimum: 1 },
      min_chars: { type: 'integer', minimum: 0 },
      max_chars: { type: 'integer', minimum: 1 },
    },
    minProperties: 1,
    additionalProperties: false,
  },
  check: (params) => {
    for (const unit of ['words', 'chars'] as const) {
      const min = params[`min_${unit}`];
      const max = params[`max_${unit}`];
      if (min !== undefined && max !== undefined && min > max) {
        throw new InvalidArgumentError(
          `${PARAMS_FIELD}.min_${unit}`,
          `must be at most max_${unit} (${max})`,
        );
      }
    }
    return params;
  },
  score: ({ outputText }, params) => {
    const lengths = [
      { unit: 'words', min: params.min_words, max: params.max_words, count: wordCount },
      { unit: 'characters', min: params.min_chars, max: params.max_chars, count: charCount },
    ]
      .filter(({ min, max }) => min !== undefined || max !== undefined)
      .map(({ count, ...limits }) => ({ ...limits, n: count(outputText) }));
    for (const { unit, n, min, max } of lengths) {
      if (min !== undefined && n < min) {
        return verdict(n / min, 'too_short', `${n} ${unit}, under the minimum ${min}.`, true);
      }
      if (max !== undefined && n > max) {
        return verdict(max / n, 'too_long', `${n} ${unit}, over the maximum ${max}.`, true);
      }
    }
    const described = lengths.map(({ unit, n }) => `${n} ${unit}`).join(', ');
    return verdict(1, 'within', `${described}: within the limits.`, false);
  },
});

function charCount(text: string): number {
  return Array.from(graphemes.segment(text)).length;
}
