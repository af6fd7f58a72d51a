import { defineEvaluator, verdict } from '../define';
import { hasText, wordCount } from '../text';

/** Fewer words than this is 'short'. */
export const SHORT_BELOW_WORDS = 20;
/** Fewer words than this (and not short) is 'medium'; this many or more is 'long'. */
export const MEDIUM_BELOW_WORDS = 200;

/**
 * How long the answer is: 'empty' (no non-whitespace character), 'short' (under 20 words),
 * 'medium' (under 200) or 'long'. The label is what analysts group by; the score only says
 * whether there is an answer to measure (0 for empty, else 1), since no length is better than
 * another for every function. Kept as stored evaluations name it; length@2 takes limits.
 */
export const answerLengthV1 = defineEvaluator<Record<string, never>>({
  id: 'length@1',
  description: 'Buckets the answer as empty, short (<20 words), medium (<200) or long.',
  paramsSchema: { type: 'object', additionalProperties: false },
  score: ({ outputText }) => {
    if (!hasText(outputText)) return verdict(0, 'empty', 'The answer is empty.', true);
    const count = wordCount(outputText, MEDIUM_BELOW_WORDS);
    const reason = (bucket: string) =>
      `${count}${count >= MEDIUM_BELOW_WORDS ? '+' : ''} words: ${bucket}.`;
    if (count < SHORT_BELOW_WORDS) return verdict(1, 'short', reason('short'), false);
    if (count < MEDIUM_BELOW_WORDS) return verdict(1, 'medium', reason('medium'), false);
    return verdict(1, 'long', reason('long'), false);
  },
});
