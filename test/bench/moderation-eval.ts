// Content-safety quality and speed on ../shared/data/guardrails/moderation.jsonl: precision,
// recall and F1 per category and for any category (flagged at all or not), on the report half
// (second half of the file) and, labelled, on the tune half; the trained model beside a keyword
// baseline. Also how often each flags the ordinary prompts of pii.jsonl (customer-service
// requests and sentences, none of them unsafe): the false alarms a gateway would raise.
// With --windowed <size>, every text is read as a stream's output under a blocking check is, in
// windows of <size> characters (inference's own windowing code), and found in any of them.
//   npm run eval:moderation [-- --windowed 512]
import { parseArgs } from 'node:util';
import { checkInWindows } from '../../services/inference/src/guardrails/stream-window';
import {
  SAFETY_CATEGORIES,
  type SafetyCategory,
  unsafeCategories,
} from '../../libs/guardrails/src';
import { LABELS } from '../../libs/guardrails/src/safety/categories';
import {
  emptyScore,
  loadHalves,
  microsPerKb,
  type Score,
  scoreLine,
  speedLine,
} from './guardrails-data';

interface ModerationRecord {
  text: string;
  labels: Record<string, number>;
}

type Classifier = (text: string) => SafetyCategory[];

// The baseline: a category is found when one of its words or phrases occurs in the text.
const KEYWORDS: Record<SafetyCategory, RegExp> = {
  SEXUAL:
    /\b(sex|sexy|porn|horny|nude|naked|fuck|pussy|cock|dick|escort|erotic|blowjob|orgasm|tits|boobs|milf|anal|cum|slut|masturbat\w*)\b/i,
  HATE: /\b(nigger|niggers|faggot|faggots|kike|retard|retards|muslims|jews|blacks|immigrants|tranny|chink|spic|subhuman|inferior race)\b/i,
  VIOLENCE:
    /\b(kill|killed|killing|murder|shoot|shot|stab|stabbed|beat|gun|bomb|attack|die|death|weapon\w*)\b/i,
  HARASSMENT:
    /\b(bitch|idiot|stupid|loser|ugly|moron|shut up|whore|dumb|pathetic|kill yourself)\b/i,
  SELF_HARM:
    /\b(suicide|suicidal|kill myself|cut myself|cutting|self[- ]harm\w*|end my life|overdose|want to die|burn myself)\b/i,
  SEXUAL_MINORS:
    /\b(child porn|underage|loli|preteen|teen sex|young girls?|minors?|little girls?|schoolgirls?)\b/i,
  HATE_THREATENING:
    /\b(kill all|exterminate|gas the|lynch|wipe out|should be shot|should die|hang them)\b/i,
  VIOLENCE_GRAPHIC:
    /\b(gore|dismember\w*|mutilat\w*|decapitat\w*|guts|disembowel\w*|blood everywhere|severed)\b/i,
};

const CLASSIFIERS: [string, Classifier][] = [
  ['keyword baseline', (text) => SAFETY_CATEGORIES.filter((c) => KEYWORDS[c].test(text))],
  ['linear model (@keel/guardrails)', (text) => unsafeCategories(text)],
];

/** `classify` applied to each window of `size` characters: the categories found in any. */
function windowed(classify: Classifier, size: number): Classifier {
  return (text) => {
    const found = new Set<SafetyCategory>();
    checkInWindows(
      text,
      (window) => {
        for (const category of classify(window)) found.add(category);
        return 'go';
      },
      size,
    );
    return [...found];
  };
}

function evaluate(records: readonly ModerationRecord[], classify: Classifier): void {
  const scores = new Map(SAFETY_CATEGORIES.map((c) => [c, emptyScore()]));
  const any: Score = emptyScore();
  for (const record of records) {
    const found = new Set(classify(record.text));
    let unsafe = false;
    for (const [label, category] of Object.entries(LABELS)) {
      // A record without a category's label is not scored for that category.
      if (record.labels[label] === undefined) continue;
      tally(scores.get(category)!, found.has(category), record.labels[label] === 1);
      unsafe ||= record.labels[label] === 1;
    }
    tally(any, found.size > 0, unsafe);
  }
  for (const [category, score] of scores) console.log(scoreLine(category, score));
  console.log(scoreLine('any category', any));
}

function tally(score: Score, found: boolean, gold: boolean): void {
  score.found += Number(found);
  score.gold += Number(gold);
  score.foundRight += Number(found && gold);
  score.goldFound += Number(found && gold);
}

function main(): void {
  const { values } = parseArgs({ options: { windowed: { type: 'string' } } });
  const size = values.windowed === undefined ? null : Number(values.windowed);
  if (size !== null && !(Number.isInteger(size) && size >= 2)) {
    console.error(`--windowed: ${values.windowed} is not a window size (an integer of 2 or more)`);
    process.exit(2);
  }
  const { tune, report } = loadHalves<ModerationRecord>('moderation.jsonl');
  const prompts = Object.values(loadHalves<{ text: string }>('pii.jsonl')).flat();
  console.log(`${tune.length} tune, ${report.length} report records`);
  if (size !== null) console.log(`each text read in windows of ${size} characters`);
  for (const [name, whole] of CLASSIFIERS) {
    const classify = size === null ? whole : windowed(whole, size);
    console.log(`\n${name} — TUNE HALF (trained and tuned on; not the figure to quote)`);
    evaluate(tune, classify);
    console.log(`\n${name} — REPORT HALF`);
    evaluate(report, classify);
    const alarms = prompts.filter((p) => classify(p.text).length > 0).length;
    console.log(`flags ${alarms} of the ${prompts.length} ordinary prompts of pii.jsonl`);
    const texts = report.map((r) => r.text);
    console.log(speedLine('speed, report half', microsPerKb(texts, classify, 3)));
  }
}

main();
