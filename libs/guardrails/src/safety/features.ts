// What the content-safety model reads of a text: its lower-cased words, each longer word's
// first five letters (so "murdered" and "murderer" share "murde"), pairs of adjacent words, each
// counted once and together weighing as one unit vector; and how often each lexicon group is
// hit, which weighs the same in a long text as in a short one.
import { CONTEXT_GROUPS, type LexiconGroup, lexiconHits } from './lexicon';

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

export interface Features {
  names: string[];
  /** The value of each feature, in `names` order. */
  values: number[];
}

/**
 * Whether the text hits a lexicon group that signals harm (naming a group of people or the young
 * does not):
 * without one, a text is not flagged, whatever the word weights say. On ordinary prompts the
 * word weights alone raise false alarms, since short texts in the training data are often unsafe.
 */
export function hasHarmWords({ names }: Features): boolean {
  return names.some(
    (name) => name.startsWith('lex=') && !CONTEXT_GROUPS.includes(name.slice(4) as LexiconGroup),
  );
}

export function textFeatures(text: string): Features {
  const words = text.toLowerCase().match(WORD) ?? [];
  const bag = new Set<string>();
  let previous = '^';
  for (const word of words) {
    bag.add(`w=${word}`);
    if (word.length > 5) bag.add(`p=${word.slice(0, 5)}`);
    bag.add(`b=${previous}_${word}`);
    previous = word;
  }
  const names = [...bag];
  const values = names.map(() => 1 / Math.sqrt(names.length));
  for (const [group, count] of lexiconHits(words)) {
    names.push(`lex=${group}`);
    values.push(Math.log2(1 + count));
  }
  return { names, values };
}
