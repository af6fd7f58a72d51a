// Reads the verdict a judge model was asked to write: `SCORE: 0.8` then `REASON: …`.
import { FailedPreconditionError } from '@keel/errors';

/**
 * The judge replied, but without a readable verdict. Not worth retrying: judge calls are
 * idempotent per judged inference, so a repeat gets the same reply. An error to count.
 */
export class MalformedVerdictError extends FailedPreconditionError {
  constructor(
    problem: string,
    /** The start of the judge's reply, for the log. */
    readonly reply: string,
  ) {
    super(`the judge's reply has no readable verdict: ${problem}`);
  }
}

export interface ParsedVerdict {
  score: number;
  reason: string;
}

// A judge asked for 300 tokens writes far less than this; anything past it is not read.
const MAX_REPLY_CHARS = 8_000;
const MAX_REASON_CHARS = 500;
// A key line, forgiving of Markdown (`**Score:** 0.8`, `- score = 0.8`, `### SCORE: 0.8`).
// Each pattern is anchored and its quantifiers do not overlap: linear in the line.
const LINE_MARKUP = /^[\s>#*_-]+/;
const KEY = /^(score|reason)[*_]*\s*[:=][\s*_]*/i;
// `0.8`, `.8`, `8/10`, `4 out of 5`, `80%`, with a full stop or emphasis after.
const SCORE =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:(?:\/|out of)\s*(\d+(?:\.\d+)?)|(%))?[*_]*\.?$/i;

interface KeyLine {
  key: 'score' | 'reason';
  value: string;
}

/**
 * The score (0..1) and reason in a judge's reply. A score may be a fraction (`0.8`), out of a
 * scale (`8/10`, `4 out of 5`) or a percentage (`80%`); anything else — no SCORE line, a bare
 * number outside 0..1, two SCORE lines that disagree — throws MalformedVerdictError rather
 * than guessing. The reason runs from `REASON:` to the next key line or the end; it may be
 * missing.
 */
export function parseJudgeVerdict(reply: string): ParsedVerdict {
  const fail = (problem: string) => new MalformedVerdictError(problem, reply.slice(0, 200));
  const lines = reply.slice(0, MAX_REPLY_CHARS).split(/\r?\n/);
  const keyed = lines.map(keyLineOf);

  const scoreLines = keyed.filter((line) => line?.key === 'score');
  if (scoreLines.length === 0) throw fail('no SCORE line');
  const scores = scoreLines.map((line) => {
    const match = SCORE.exec(line!.value.trim());
    if (!match) throw fail(`the SCORE is not a number (${JSON.stringify(line!.value)})`);
    const [, value, scale, percent] = match;
    if (percent) return Number(value) / 100;
    if (scale === undefined) return Number(value);
    if (Number(scale) <= 0) throw fail(`SCORE is out of ${scale}`);
    return Number(value) / Number(scale);
  });
  if (scores.some((score) => score !== scores[0])) {
    throw fail(`SCORE lines disagree (${scores.join(', ')})`);
  }
  const score = scores[0]!;
  if (!(score >= 0 && score <= 1)) throw fail(`SCORE ${score} is outside 0..1`);

  const at = keyed.findIndex((line) => line?.key === 'reason');
  const reasonLines: string[] = [];
  if (at >= 0) {
    reasonLines.push(keyed[at]!.value);
    for (let i = at + 1; i < lines.length && !keyed[i]; i++) reasonLines.push(lines[i]!);
  }
  const reason = reasonLines.join(' ').replace(/\s+/g, ' ').trim();
  return {
    score,
    reason: reason ? reason.slice(0, MAX_REASON_CHARS) : 'The judge gave no reason.',
  };
}

function keyLineOf(line: string): KeyLine | undefined {
  const bare = line.replace(LINE_MARKUP, '');
  const match = KEY.exec(bare);
  if (!match) return undefined;
  return { key: match[1]!.toLowerCase() as KeyLine['key'], value: bare.slice(match[0].length) };
}
