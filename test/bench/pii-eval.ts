// PII detection quality and speed on ../shared/data/guardrails/pii.jsonl: precision, recall and
// F1 per type and micro-averaged, on the report half (second half of the file) and, labelled,
// on the tune half. Only the six detected types are scored: a found span of type T is a true
// positive when it overlaps a gold span of type T, else a false positive; gold spans of other
// types (STREET_ADDRESS, GPE, …) count for nothing either way.
//   npm run eval:pii [-- --names model|lists|compromise]
// --names swaps the person finder for a comparison: `lists` marks every capitalised word the
// name lists know, `compromise` uses compromise's people().
import { parseArgs } from 'node:util';
import nlp from 'compromise';
import { detectPii, PII_TYPES, type PiiSpan, type PiiType } from '../../libs/guardrails/src';
import { nameLists } from '../../libs/guardrails/src/pii/names';
import { words } from '../../libs/guardrails/src/pii/person';
import {
  addScore,
  emptyScore,
  loadHalves,
  microsPerKb,
  type Score,
  scoreLine,
  speedLine,
} from './guardrails-data';

interface Record {
  text: string;
  spans: { type: string; start: number; end: number }[];
}

type PersonFinder = (text: string) => PiiSpan[];

const PERSON_FINDERS: { [name: string]: PersonFinder } = {
  model: (text) => detectPii(text, ['PERSON']),
  lists: (text) => {
    const names = nameLists();
    return words(text, names)
      .filter((w) => /^\p{Lu}\p{Ll}/u.test(w.text))
      .filter((w) => names.first.has(w.text.toLowerCase()) || names.last.has(w.text.toLowerCase()))
      .map((w) => ({ type: 'PERSON', start: w.start, end: w.end }));
  },
  compromise: (text) =>
    (
      nlp(text).people().json({ offset: true }) as { offset: { start: number; length: number } }[]
    ).map(({ offset }) => ({
      type: 'PERSON',
      start: offset.start,
      end: offset.start + offset.length,
    })),
};

function detect(text: string, persons: PersonFinder): PiiSpan[] {
  const others = detectPii(
    text,
    PII_TYPES.filter((t) => t !== 'PERSON'),
  );
  const free = persons(text).filter((p) => !others.some((o) => p.start < o.end && o.start < p.end));
  return [...others, ...free];
}

/** Gold PERSON spans, and those one found span covers whole (not only a name's first word). */
interface Whole {
  gold: number;
  whole: number;
}

function evaluate(
  records: readonly Record[],
  persons: PersonFinder,
): { scores: Map<PiiType, Score>; persons: Whole } {
  const scores = new Map(PII_TYPES.map((t) => [t, emptyScore()]));
  const whole: Whole = { gold: 0, whole: 0 };
  const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
    a.start < b.end && b.start < a.end;
  for (const record of records) {
    const found = detect(record.text, persons);
    for (const type of PII_TYPES) {
      const score = scores.get(type)!;
      const gold = record.spans.filter((s) => s.type === type);
      const mine = found.filter((s) => s.type === type);
      score.found += mine.length;
      score.foundRight += mine.filter((s) => gold.some((g) => overlaps(g, s))).length;
      score.gold += gold.length;
      score.goldFound += gold.filter((g) => mine.some((s) => overlaps(g, s))).length;
      if (type !== 'PERSON') continue;
      whole.gold += gold.length;
      whole.whole += gold.filter((g) =>
        mine.some((s) => s.start <= g.start && g.end <= s.end),
      ).length;
    }
  }
  return { scores, persons: whole };
}

function report(
  label: string,
  { scores, persons }: { scores: Map<PiiType, Score>; persons: Whole },
): void {
  console.log(`\n${label}`);
  const micro = emptyScore();
  for (const [type, score] of scores) {
    console.log(scoreLine(type, score));
    addScore(micro, score);
  }
  console.log(scoreLine('micro-average', micro));
  console.log(`PERSON spans found whole: ${persons.whole} of ${persons.gold}`);
}

function main(): void {
  const { values } = parseArgs({ options: { names: { type: 'string', default: 'model' } } });
  const persons = PERSON_FINDERS[values.names];
  if (!persons) throw new Error(`--names: one of ${Object.keys(PERSON_FINDERS).join(', ')}`);
  const { tune, report: held } = loadHalves<Record>('pii.jsonl');
  console.log(`person finder: ${values.names}; ${tune.length} tune, ${held.length} report records`);
  report('TUNE HALF (trained and tuned on; not the figure to quote)', evaluate(tune, persons));
  report('REPORT HALF', evaluate(held, persons));
  const prompt = held
    .map((r) => r.text)
    .join('\n')
    .slice(0, 2048);
  const texts = held.map((r) => r.text);
  console.log(
    `\n${speedLine(
      'speed, report half',
      microsPerKb(texts, (t) => detect(t, persons), 5),
    )}`,
  );
  console.log(
    speedLine(
      'speed, one 2 KB prompt',
      microsPerKb([prompt], (t) => detect(t, persons), 200),
    ),
  );
}

main();
