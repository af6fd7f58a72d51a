import type { Evaluator } from './evaluator';

/** Fewer words than this is 'short'. */
export const SHORT_BELOW_WORDS = 20;
/** Fewer words than this (and not short) is 'medium'; this many or more is 'long'. */
export const MEDIUM_BELOW_WORDS = 200;

// Words as Unicode defines them (UAX #29, with dictionaries for scripts written without
// spaces), so Chinese or Japanese answers are not counted as one word; punctuation is not a word.
const words = new Intl.Segmenter('und', { granularity: 'word' });

/**
 * How long the answer is: 'empty' (no non-whitespace character), 'short' (under 20 words),
 * 'medium' (under 200) or 'long'. The label is what analysts group by; the score only says
 * whether there is an answer to measure (0 for empty, else 1), since no length is better than
 * another for every function.
 */
export const answerLength: Evaluator = {
  id: 'length@1',
  evaluate: ({ outputText }) => {
    if (!/\S/.test(outputText)) return { score: 0, label: 'empty' };
    const count = wordCount(outputText, MEDIUM_BELOW_WORDS);
    if (count < SHORT_BELOW_WORDS) return { score: 1, label: 'short' };
    if (count < MEDIUM_BELOW_WORDS) return { score: 1, label: 'medium' };
    return { score: 1, label: 'long' };
  },
};

/** The words in `text`, counted up to `atMost`: a long answer is not segmented to its end. */
function wordCount(text: string, atMost: number): number {
  let count = 0;
  for (const segment of words.segment(text)) {
    if (segment.isWordLike && ++count >= atMost) break;
  }
  return count;
}
