// The labelled guardrails data beside the repository (../shared/data/guardrails), split in file
// order: the first half tunes and trains, the second half is what the figures are reported on.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const DATA_DIR = path.resolve(__dirname, '../../../shared/data/guardrails');

export interface Halves<T> {
  tune: T[];
  report: T[];
}

export function loadHalves<T>(file: string): Halves<T> {
  const at = path.join(DATA_DIR, file);
  if (!existsSync(at)) {
    console.error(`${at} is missing: the guardrails data is read from ../shared/data/guardrails`);
    process.exit(2);
  }
  const records = readFileSync(at, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
  const half = Math.ceil(records.length / 2);
  return { tune: records.slice(0, half), report: records.slice(half) };
}

/**
 * Precision counts found items that are right; recall counts gold items that were found (with
 * spans the two differ: two found spans may overlap one gold span).
 */
export interface Score {
  found: number;
  foundRight: number;
  gold: number;
  goldFound: number;
}

export const emptyScore = (): Score => ({ found: 0, foundRight: 0, gold: 0, goldFound: 0 });

export function addScore(into: Score, other: Score): void {
  into.found += other.found;
  into.foundRight += other.foundRight;
  into.gold += other.gold;
  into.goldFound += other.goldFound;
}

export function scoreLine(label: string, { found, foundRight, gold, goldFound }: Score): string {
  const precision = found === 0 ? 0 : foundRight / found;
  const recall = gold === 0 ? 0 : goldFound / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return (
    `${label.padEnd(18)} P ${precision.toFixed(3)}  R ${recall.toFixed(3)}  F1 ${f1.toFixed(3)}` +
    `  (found ${foundRight}/${found} right, ${goldFound}/${gold} of the gold)`
  );
}

/** The threshold (0.05 to 0.95) with the best F1 over (probability, label) pairs, and that F1. */
export function bestThreshold(scored: readonly { p: number; label: boolean }[]) {
  let best = { f1: -1, threshold: 0.5 };
  for (let step = 5; step <= 95; step++) {
    const t = step / 100;
    let tp = 0;
    let wrong = 0;
    for (const { p, label } of scored) {
      if (p >= t && label) tp++;
      else if (p >= t || label) wrong++;
    }
    const f1 = (2 * tp) / (2 * tp + wrong);
    if (f1 > best.f1) best = { f1, threshold: t };
  }
  return best;
}

/**
 * µs per KB (UTF-8) of `detect` over the texts, after one warm-up pass: wall time, and the
 * process's CPU time, which holds steadier on a machine shared with other work.
 */
export function microsPerKb(
  texts: readonly string[],
  detect: (text: string) => unknown,
  rounds: number,
): { wall: number; cpu: number } {
  const kb = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0) / 1024;
  for (const text of texts) detect(text);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const text of texts) detect(text);
  const wall = Number(process.hrtime.bigint() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  return { wall: wall / rounds / kb, cpu: (user + system) / rounds / kb };
}

export function speedLine(label: string, { wall, cpu }: { wall: number; cpu: number }): string {
  return `${label}: ${cpu.toFixed(0)} µs of CPU per KB (${wall.toFixed(0)} µs wall)`;
}
