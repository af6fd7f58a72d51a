// How much of an answer a set of passages supports, without a model.
import { eng as STOPWORDS } from 'stopword';
import { keyOf, wordsOf } from './tokens';

export interface Groundedness {
  /** 1: every claimed word, and every adjacent pair of the answer's words, is in the passages. */
  score: number;
  /** The answer's content words the passages lack, as the answer wrote them. */
  unsupported: string[];
}

// prettier-ignore
/** Answer-framing words, in no particular domain: they say how the answer is put, not what. */
export const FRAMING_WORDS: readonly string[] = [
  'answer', 'based', 'know', 'knowledge', 'think', 'believe', 'according', 'information',
  'context', 'passage', 'text', 'provided', 'given', 'question', 'yes', 'no', 'not', 'sure',
  'correct', 'say', 'says', 'said', 'state', 'states', 'stated', 'mention', 'mentioned',
  'likely', 'probably', 'actually', 'indeed', 'however', 'therefore', 'so', 'just', 'a',
  'i', 'the', 'it', 'its', 'this', 'that', 'what', 'which', 'who', 'whom', 'there',
];

export interface GroundednessOptions {
  /** Words that frame an answer without claiming anything. */
  framing: readonly string[];
  /** How much the answer's word pairs missing from the passages count against it (0..1). */
  pairWeight: number;
}

export const DEFAULT_OPTIONS: GroundednessOptions = { framing: FRAMING_WORDS, pairWeight: 0.5 };

/**
 * The share of the answer's content words (neither stopwords nor framing) found in `passages`,
 * lowered by the share of its adjacent content-word pairs not adjacent there: a true word in a
 * false place (`won the Heisman Trophy in 1953` against `won the Heisman Trophy in 1952 …
 * drafted in 1953`), or the question's words recombined (`Stanford University is located in
 * Chestnut Hill`). An answer with no content word (`Yes.`) claims nothing and scores 1.
 */
export function groundedness(
  answer: string,
  passages: readonly string[],
  options: GroundednessOptions = DEFAULT_OPTIONS,
): Groundedness {
  const ignored = ignoredKeys(options.framing);
  const contentOf = (text: string) => wordsOf(text).filter(({ key }) => !ignored.has(key));
  const context = passages.flatMap(contentOf).map(({ key }) => key);
  const known = new Set(context);
  const knownPairs = new Set(pairsOf(context));

  const claims = contentOf(answer);
  if (claims.length === 0) return { score: 1, unsupported: [] };
  const missing = claims.filter(({ key }) => !known.has(key));
  const supportedShare = 1 - missing.length / claims.length;
  const pairs = pairsOf(claims.map(({ key }) => key));
  const missingPairs = pairs.filter((pair) => !knownPairs.has(pair)).length;
  const pairShare = pairs.length === 0 ? 1 : 1 - missingPairs / pairs.length;
  return {
    score: supportedShare * (1 - options.pairWeight * (1 - pairShare)),
    unsupported: [...new Set(missing.map(({ text }) => text))],
  };
}

function pairsOf(keys: readonly string[]): string[] {
  return keys.slice(1).map((key, i) => `${keys[i]} ${key}`);
}

const ignoredByFraming = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The keys of the words that claim nothing: stopwords and framing words (computed once). */
export function ignoredKeys(framing = DEFAULT_OPTIONS.framing): ReadonlySet<string> {
  let keys = ignoredByFraming.get(framing);
  if (!keys) {
    keys = new Set([...STOPWORDS, ...framing].map(keyOf));
    ignoredByFraming.set(framing, keys);
  }
  return keys;
}
