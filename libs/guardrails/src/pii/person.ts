// Person names: each word is scored by a logistic-regression model over its shape, whether the
// name lists know it, its suffix and its neighbours (trained by `npm run train:person`); runs
// of name words (initials between them allowed) become one span.
import { type LinearModel, probability, scorer } from '../linear-model';
import personModel from '../models/person.generated.json';
import { nameLists, type NameLists } from './names';
import type { PiiSpan } from './types';

const WORD = /[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*/gu;
const POSSESSIVE = /['’]s$/i;

export interface Word {
  start: number;
  end: number;
  text: string;
  lower: string;
  /** Which lists know it: F first names, L last names, E English words. */
  known: string;
  shape: 'lower' | 'initial' | 'upper' | 'title';
}

export function words(text: string, names: NameLists = nameLists()): Word[] {
  const found: Word[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = POSSESSIVE.test(match[0]) ? match[0].slice(0, -2) : match[0];
    const lower = word.toLowerCase();
    found.push({
      start: match.index,
      end: match.index + word.length,
      text: word,
      lower,
      known: `${names.first.has(lower) ? 'F' : ''}${names.last.has(lower) ? 'L' : ''}${
        names.english.has(lower) ? 'E' : ''
      }`,
      shape: shape(word),
    });
  }
  return found;
}

function shape(word: string): Word['shape'] {
  const first = word[0];
  const rest = word.slice(1);
  if (first === first.toLowerCase()) return 'lower';
  if (rest.length === 0) return 'initial';
  if (rest === rest.toUpperCase()) return 'upper';
  return 'title';
}

/** The features of all[i]: the word, its shape, the name lists, its suffix and neighbours. */
export function wordFeatures(text: string, all: readonly Word[], i: number): string[] {
  const word = all[i];
  const previous = i > 0 ? all[i - 1] : undefined;
  const next = i + 1 < all.length ? all[i + 1] : undefined;
  const before = previous ? text.slice(previous.end, word.start).trim() : '^';
  const after = next ? text.slice(word.end, next.start).trim() : '$';
  const previousWord = previous?.lower ?? '^';
  const features = [
    `w=${word.lower}`,
    `shape=${word.shape}`,
    `known=${word.known}`,
    `known+shape=${word.known}|${word.shape}`,
    `suffix=${word.lower.slice(-3)}`,
    `before=${before.slice(-2)}`,
    `after=${after.slice(0, 2)}`,
    `previous=${previousWord}`,
    `next=${next?.lower ?? '$'}`,
    `previous+shape=${previousWord}|${word.shape}`,
  ];
  if (previous) features.push(`previousKnown=${previous.known}`, `previousShape=${previous.shape}`);
  if (next) features.push(`nextKnown=${next.known}`, `nextShape=${next.shape}`);
  const charBefore = text.charCodeAt(word.start - 1);
  if (word.text.length > 1 && charBefore >= 48 && charBefore <= 57) features.push('digitBefore');
  return features;
}

/**
 * Words not scored: the pronoun I, and lower-case words no name list knows (nearly never a
 * name, and most words).
 */
export function mayBeName(word: Word): boolean {
  return word.text !== 'I' && (word.shape !== 'lower' || (word.known !== '' && word.known !== 'E'));
}

const { threshold: THRESHOLD, joinThreshold: JOIN_THRESHOLD } = personModel as {
  threshold: number;
  joinThreshold: number;
};
let model: ReturnType<typeof scorer> | undefined;

/**
 * Runs of adjacent words that each score at least JOIN_THRESHOLD, one of them at least
 * THRESHOLD: a name's other words need less evidence beside a word that is surely a name, so
 * "on Jennifer Walsh" is one span even when "Jennifer" alone would not be taken.
 */
export function findPersons(text: string): PiiSpan[] {
  model ??= scorer(personModel as LinearModel);
  const all = words(text);
  const found: PiiSpan[] = [];
  let run: { span: PiiSpan; sure: boolean } | undefined;
  for (let i = 0; i < all.length; i++) {
    const p = mayBeName(all[i]) ? probability(model, wordFeatures(text, all, i)) : 0;
    if (p < JOIN_THRESHOLD) {
      run = undefined;
      continue;
    }
    const gap = run ? text.slice(run.span.end, all[i].start) : '';
    if (run && /^\.?\s{1,2}$/.test(gap)) run.span.end = all[i].end;
    else run = { span: { type: 'PERSON', start: all[i].start, end: all[i].end }, sure: false };
    if (p >= THRESHOLD && !run.sure) {
      run.sure = true;
      found.push(run.span);
    }
  }
  return found;
}
