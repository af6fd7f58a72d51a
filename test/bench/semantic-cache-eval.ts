// How often the semantic cache would serve a stored answer to a question that asks something
// else, and how often it serves a true paraphrase, per similarity threshold, with the default
// embedding model (retrieval's local `local-hash-384`, what Embed serves by default) and the
// details guard (numbers, negations, names) the cache applies on top of the similarity. Pairs
// are built from ../shared/data:
//   near-misses   a GSM8K prompt with one number changed; a GSM8K or HaluEval question negated
//                 (`not` after its auxiliary verb); a question with the word naming what it asks
//                 swapped for its opposite (`day`/`week`, `older`/`younger`, `first`/`last`…);
//   other         each question paired with the most similar other question of its set;
//   paraphrases   a GSM8K prompt with its question put first (clauses reordered); GSM8K and
//                 HaluEval questions with words replaced by synonyms.
// A pair counts as a hit when its similarity reaches the threshold and the guard lets it pass.
// Precision is paraphrase hits over all hits; recall the share of paraphrases hit. The default
// threshold is the lowest reaching 99% precision on the first half of each set (in file order);
// the figures are reported on the second half.
//   npm run eval:semantic-cache
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { askedDetails, sameDetails } from '../../services/inference/src/cache/semantic-guard';
import { localEmbedder } from '../../services/retrieval/src/embeddings';

const DATA = path.resolve(__dirname, '../../../shared/data');
const GSM8K = path.join(DATA, 'routing/gsm8k.jsonl');
const HALUEVAL = path.join(DATA, 'rag/halueval_qa.jsonl');
const TARGET_PRECISION = 0.99;
// 0.70 to 0.99 by 0.01, then to 0.999 by 0.001: one word changed in a long prompt scores 0.99.
const THRESHOLDS = [
  ...Array.from({ length: 30 }, (_, i) => (70 + i) / 100),
  ...Array.from({ length: 9 }, (_, i) => (991 + i) / 1000),
];

type Kind = 'number' | 'negation' | 'swap' | 'other' | 'reorder' | 'synonym';
const NEAR_MISS: readonly Kind[] = ['number', 'negation', 'swap', 'other'];

interface Pair {
  kind: Kind;
  a: string;
  b: string;
}

interface Scored extends Pair {
  similarity: number;
  guardPasses: boolean;
}

function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) {
    console.error(`${file} is missing: this evaluation reads ../shared/data beside the repository`);
    process.exit(1);
  }
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

const sentencesOf = (text: string) => text.split(/(?<=[.?!])\s+/).filter((s) => s !== '');

/** The prompt with one number (the one in the middle of its numbers) increased by 1. */
function oneNumberChanged(prompt: string): string | null {
  const numbers = [...prompt.matchAll(/\d+(?:\.\d+)?/g)];
  if (numbers.length === 0) return null;
  const chosen = numbers[Math.floor(numbers.length / 2)];
  const changed = String(Number(chosen[0]) + 1);
  return prompt.slice(0, chosen.index) + changed + prompt.slice(chosen.index + chosen[0].length);
}

const AUXILIARY =
  /\b(does|do|did|is|are|was|were|will|can|could|would|should|has|have|had)\b(\s+)/i;

/** The question with `not` after its first auxiliary verb; null when it has none. */
function negated(question: string): string | null {
  const match = AUXILIARY.exec(question);
  if (!match) return null;
  const at = match.index + match[1].length;
  return `${question.slice(0, at)} not${question.slice(at)}`;
}

/** A GSM8K prompt with its question (the last sentence) put first. */
function questionFirst(prompt: string): string | null {
  const sentences = sentencesOf(prompt);
  if (sentences.length < 2 || !sentences[sentences.length - 1].endsWith('?')) return null;
  return [sentences[sentences.length - 1], ...sentences.slice(0, -1)].join(' ');
}

const OPPOSITES: Array<[string, string]> = [
  ['day', 'week'],
  ['week', 'month'],
  ['month', 'year'],
  ['hour', 'minute'],
  ['more', 'less'],
  ['older', 'younger'],
  ['first', 'last'],
  ['before', 'after'],
  ['left', 'spent'],
  ['sell', 'buy'],
  ['sold', 'bought'],
  ['profit', 'cost'],
  ['each', 'all'],
  ['born', 'died'],
  ['larger', 'smaller'],
  ['largest', 'smallest'],
  ['earlier', 'later'],
  ['north', 'south'],
  ['city', 'country'],
  ['father', 'mother'],
  ['director', 'writer'],
  ['actor', 'actress'],
];

/** The question with the first word of the list in it swapped for its opposite. */
function swapped(question: string): string | null {
  for (const [a, b] of OPPOSITES) {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ]) {
      const pattern = new RegExp(`\\b${from}\\b`);
      if (pattern.test(question)) return question.replace(pattern, to);
    }
  }
  return null;
}

const SYNONYMS: Array<[RegExp, string]> = [
  [/\bhow much\b/gi, 'what amount'],
  [/\bin total\b/gi, 'altogether'],
  [/\btotal\b/gi, 'overall'],
  [/\bbuys\b/gi, 'purchases'],
  [/\bbought\b/gi, 'purchased'],
  [/\bgets\b/gi, 'receives'],
  [/\beach\b/gi, 'every'],
  [/\bstarted\b/gi, 'founded'],
  [/\bwhat city\b/gi, 'which city'],
  [/\bwhich\b/gi, 'what'],
  [/\bfilm\b/gi, 'movie'],
  [/\bborn\b/gi, 'birthed'],
  [/\bearns\b/gi, 'makes'],
  [/\bspends\b/gi, 'pays'],
  [/\bneeds\b/gi, 'requires'],
  [/\bleft\b/gi, 'remaining'],
  [/\bwants\b/gi, 'would like'],
  [/\bamerican\b/gi, 'US'],
];

/** The text with each synonym of the list replaced; null when none applies. */
function withSynonyms(text: string): string | null {
  let changed = text;
  for (const [pattern, replacement] of SYNONYMS) changed = changed.replace(pattern, replacement);
  return changed === text ? null : changed;
}

function buildPairs(gsm8k: string[], questions: string[]): Pair[] {
  const pairs: Pair[] = [];
  const add = (kind: Kind, a: string, b: string | null) => {
    if (b !== null && b !== a) pairs.push({ kind, a, b });
  };
  for (const prompt of gsm8k) {
    add('number', prompt, oneNumberChanged(prompt));
    const sentences = sentencesOf(prompt);
    const question = sentences[sentences.length - 1];
    const asked = negated(question);
    add('negation', prompt, asked && [...sentences.slice(0, -1), asked].join(' '));
    const swap = swapped(question);
    add('swap', prompt, swap && [...sentences.slice(0, -1), swap].join(' '));
    add('reorder', prompt, questionFirst(prompt));
    add('synonym', prompt, withSynonyms(prompt));
  }
  for (const question of questions) {
    add('negation', question, negated(question));
    add('swap', question, swapped(question));
    add('synonym', question, withSynonyms(question));
  }
  return pairs;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

async function score(pairs: Pair[]): Promise<Scored[]> {
  const texts = [...new Set(pairs.flatMap((pair) => [pair.a, pair.b]))];
  const vectors = await localEmbedder.embed(texts);
  const vectorOf = new Map(texts.map((text, i) => [text, vectors[i]]));
  return pairs.map((pair) => ({
    ...pair,
    similarity: cosine(vectorOf.get(pair.a)!, vectorOf.get(pair.b)!),
    guardPasses: sameDetails(askedDetails(pair.a), askedDetails(pair.b)),
  }));
}

/** Each question paired with its most similar other question: a different question, close. */
async function nearestOthers(questions: string[]): Promise<Pair[]> {
  const vectors = await localEmbedder.embed(questions);
  return questions.map((question, i) => {
    let best = -1;
    for (let j = 0; j < questions.length; j++) {
      if (j === i) continue;
      if (best < 0 || cosine(vectors[i], vectors[j]) > cosine(vectors[i], vectors[best])) best = j;
    }
    return { kind: 'other' as const, a: question, b: questions[best] };
  });
}

interface Figures {
  threshold: number;
  falseHits: Record<string, number>;
  hitRates: Record<string, number>;
  precision: number;
  recall: number;
}

function figuresAt(scored: Scored[], threshold: number, guarded: boolean): Figures {
  const hit = (pair: Scored) => pair.similarity >= threshold && (!guarded || pair.guardPasses);
  const rate = (kind: Kind) => {
    const ofKind = scored.filter((pair) => pair.kind === kind);
    return ofKind.filter(hit).length / Math.max(1, ofKind.length);
  };
  const paraphrases = scored.filter((pair) => !NEAR_MISS.includes(pair.kind));
  const nearMisses = scored.filter((pair) => NEAR_MISS.includes(pair.kind));
  const truePositives = paraphrases.filter(hit).length;
  const falsePositives = nearMisses.filter(hit).length;
  return {
    threshold,
    falseHits: {
      number: rate('number'),
      negation: rate('negation'),
      swap: rate('swap'),
      other: rate('other'),
      all: falsePositives / Math.max(1, nearMisses.length),
    },
    hitRates: { reorder: rate('reorder'), synonym: rate('synonym') },
    precision:
      truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives),
    recall: truePositives / Math.max(1, paraphrases.length),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);

function table(title: string, scored: Scored[], guarded: boolean, chosen: number): void {
  console.log(`\n${title}`);
  console.log(
    'threshold  false hits: number negation    swap   other     all | hits: reorder synonym | precision  recall',
  );
  for (const threshold of THRESHOLDS) {
    const f = figuresAt(scored, threshold, guarded);
    const mark = Math.abs(threshold - chosen) < 1e-9 ? ' ←' : '';
    console.log(
      `${String(threshold).padStart(9)}  ${' '.repeat(11)}${pct(f.falseHits.number)}  ` +
        `${pct(f.falseHits.negation)} ${pct(f.falseHits.swap)} ${pct(f.falseHits.other)} ` +
        `${pct(f.falseHits.all)} |` +
        `       ${pct(f.hitRates.reorder)} ${pct(f.hitRates.synonym)} |   ${pct(f.precision)} ` +
        `${pct(f.recall)}${mark}`,
    );
  }
}

function halves<T>(items: T[]): [T[], T[]] {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}

async function main(): Promise<void> {
  const gsm8k = readJsonl<{ prompt: string }>(GSM8K).map((record) => record.prompt);
  const questions = readJsonl<{ question: string }>(HALUEVAL).map((record) => record.question);
  const [tuneGsm8k, reportGsm8k] = halves(gsm8k);
  const [tuneQuestions, reportQuestions] = halves(questions);
  const scoredOf = async (prompts: string[], qs: string[]) =>
    score([
      ...buildPairs(prompts, qs),
      ...(await nearestOthers(prompts)),
      ...(await nearestOthers(qs)),
    ]);
  const tune = await scoredOf(tuneGsm8k, tuneQuestions);
  const report = await scoredOf(reportGsm8k, reportQuestions);

  const chosen =
    THRESHOLDS.find((t) => figuresAt(tune, t, true).precision >= TARGET_PRECISION) ?? 1;
  const counts = (scored: Scored[]) =>
    (['number', 'negation', 'swap', 'other', 'reorder', 'synonym'] as const)
      .map((kind) => `${kind} ${scored.filter((pair) => pair.kind === kind).length}`)
      .join(', ');
  console.log(`semantic cache, embedding ${localEmbedder.model}`);
  console.log(`tuning pairs:    ${counts(tune)}`);
  console.log(`reported pairs:  ${counts(report)}`);
  console.log(
    `default threshold: ${chosen} (the lowest with precision ≥ ${pct(TARGET_PRECISION).trim()} on the tuning half, with the guard)`,
  );
  table('reported half, with the details guard (what the cache does):', report, true, chosen);
  table('reported half, similarity alone (no guard), for comparison:', report, false, chosen);
  const at = figuresAt(report, chosen, true);
  console.log(
    `\nat ${chosen} with the guard: false-hit rate ${pct(at.falseHits.all).trim()} ` +
      `(number ${pct(at.falseHits.number).trim()}, negation ${pct(at.falseHits.negation).trim()}, ` +
      `swap ${pct(at.falseHits.swap).trim()}, ` +
      `other question ${pct(at.falseHits.other).trim()}), precision ${pct(at.precision).trim()}, ` +
      `recall ${pct(at.recall).trim()} (reorder ${pct(at.hitRates.reorder).trim()}, ` +
      `synonym ${pct(at.hitRates.synonym).trim()})`,
  );
}

void main();
