// How well groundedness@1's score tells answers grounded in a passage from hallucinated ones, on
// ../shared/data/rag/halueval_qa.jsonl (a question, its passage, a right and a hallucinated
// answer), split in file order: thresholds are tuned on the first half, figures reported on
// the second. Three figures, beside the word-overlap baseline (the share of the answer's words
// found in the passage):
//   pairwise      how often the right answer scores strictly above the hallucinated one;
//   single        accuracy of one threshold over every answer alone;
//   single, framed the same with every answer wrapped in a sentence ("Based on what I know,
//                 the answer is X."), as production answers are sentences, not spans.
//   npm run eval:groundedness [-- --tune-only]
// --tune-only prints the tuning half alone, for trying changes without reading the report half.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EVALUATORS } from '../../libs/evaluators/src';
import { groundedness, ignoredKeys } from '../../libs/evaluators/src/groundedness/score';
import { wordsOf } from '../../libs/evaluators/src/groundedness/tokens';

const DATA = path.resolve(__dirname, '../../../shared/data/rag/halueval_qa.jsonl');

interface Example {
  id: string;
  question: string;
  knowledge: string;
  right_answer: string;
  hallucinated_answer: string;
}

type Scorer = (answer: string, example: Example) => number;

const SCORERS: { [name: string]: Scorer } = {
  'groundedness@1': (answer, example) => groundedness(answer, [example.knowledge]).score,
  'word overlap': (answer, example) => {
    const passage = new Set(words(example.knowledge));
    const answerWords = words(answer);
    return answerWords.length === 0
      ? 0
      : answerWords.filter((word) => passage.has(word)).length / answerWords.length;
  },
};

const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

const frame = (answer: string) =>
  `Based on what I know, the answer is ${answer.trim().replace(/\.$/, '')}.`;

interface Scored {
  right: number;
  hallucinated: number;
}

function scoreAll(examples: readonly Example[], scorer: Scorer, framed: boolean): Scored[] {
  const shape = framed ? frame : (answer: string) => answer;
  return examples.map((example) => ({
    right: scorer(shape(example.right_answer), example),
    hallucinated: scorer(shape(example.hallucinated_answer), example),
  }));
}

/** Right strictly above hallucinated (a tie counts as a miss), and how many pairs tied. */
function pairwise(scored: readonly Scored[]): string {
  const above = scored.filter(({ right, hallucinated }) => right > hallucinated).length;
  const ties = scored.filter(({ right, hallucinated }) => right === hallucinated).length;
  return `${(above / scored.length).toFixed(3)} (${ties} tied)`;
}

/** Accuracy over every answer alone: grounded when its score is at least `threshold`. */
function accuracy(scored: readonly Scored[], threshold: number): number {
  const hits = scored.reduce(
    (sum, { right, hallucinated }) =>
      sum + Number(right >= threshold) + Number(hallucinated < threshold),
    0,
  );
  return hits / (2 * scored.length);
}

/** The threshold with the best accuracy: midpoints between the distinct scores seen. */
function bestThreshold(scored: readonly Scored[]): number {
  const values = [...new Set(scored.flatMap(({ right, hallucinated }) => [right, hallucinated]))];
  values.sort((a, b) => a - b);
  const candidates = [values[0]! - 1e-9, ...values.slice(1).map((v, i) => (v + values[i]!) / 2)];
  let best = { threshold: 0.5, accuracy: -1 };
  for (const threshold of candidates) {
    const value = accuracy(scored, threshold);
    if (value > best.accuracy) best = { threshold, accuracy: value };
  }
  return best.threshold;
}

function load(): { tune: Example[]; report: Example[] } {
  if (!existsSync(DATA)) {
    console.error(`${DATA} is missing: the RAG data is read from ../shared/data/rag`);
    process.exit(2);
  }
  const examples = readFileSync(DATA, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Example);
  const half = Math.ceil(examples.length / 2);
  return { tune: examples.slice(0, half), report: examples.slice(half) };
}

function main(): void {
  const { values } = parseArgs({ options: { 'tune-only': { type: 'boolean', default: false } } });
  const { tune, report } = load();
  console.log(`halueval_qa: ${tune.length} examples tune, ${report.length} report (file order)`);
  const header = `${'scorer'.padEnd(16)}${'half'.padEnd(8)}${'pairwise'.padEnd(18)}single (threshold)  framed (threshold)`;
  console.log(header);
  for (const [name, scorer] of Object.entries(SCORERS)) {
    const plain = { tune: scoreAll(tune, scorer, false), report: scoreAll(report, scorer, false) };
    const framed = { tune: scoreAll(tune, scorer, true), report: scoreAll(report, scorer, true) };
    const threshold = bestThreshold(plain.tune);
    const framedThreshold = bestThreshold(framed.tune);
    const halves = values['tune-only'] ? (['tune'] as const) : (['tune', 'report'] as const);
    for (const half of halves) {
      console.log(
        `${name.padEnd(16)}${half.padEnd(8)}${pairwise(plain[half]).padEnd(18)}` +
          `${accuracy(plain[half], threshold).toFixed(3)} (${threshold.toFixed(3)})`.padEnd(20) +
          `${accuracy(framed[half], framedThreshold).toFixed(3)} (${framedThreshold.toFixed(3)})`,
      );
    }
  }
  console.log('goals on the report half: pairwise ≥ 0.98, single ≥ 0.97, framed ≥ 0.95');
  reportDefaultThreshold(values['tune-only'] ? tune : report);
  reportFraming(tune);
}

/** The evaluator's own default threshold, which the tuned one above should agree with. */
function reportDefaultThreshold(examples: readonly Example[]): void {
  const params = EVALUATORS.get('groundedness@1')!.parseParams('') as { threshold: number };
  const scorer = SCORERS['groundedness@1']!;
  console.log(
    `groundedness@1 at its default threshold ${params.threshold}: ` +
      `single ${accuracy(scoreAll(examples, scorer, false), params.threshold).toFixed(3)}, ` +
      `framed ${accuracy(scoreAll(examples, scorer, true), params.threshold).toFixed(3)}`,
  );
}

/**
 * Framing words learned from the tuning half: words in at least a fifth of its framed answers.
 * The shipped list (with the stopwords) should hold them all.
 */
function reportFraming(examples: readonly Example[]): void {
  const answers = examples.flatMap((e) => [frame(e.right_answer), frame(e.hallucinated_answer)]);
  const counts = new Map<string, number>();
  for (const answer of answers) {
    for (const key of new Set(wordsOf(answer).map((word) => word.key))) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const learned = [...counts].filter(([, n]) => n >= answers.length / 5).map(([key]) => key);
  const shipped = ignoredKeys();
  const missing = learned.filter((key) => !shipped.has(key));
  console.log(
    `framing words learned on the tune half: ${learned.join(' ')}; ` +
      (missing.length
        ? `not in the shipped list: ${missing.join(' ')}`
        : 'all in the shipped list'),
  );
}

main();
