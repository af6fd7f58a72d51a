// HaluEval QA as a retrieval test: every question's gold passage among all the passages, the
// questions split in halves (tune on the first, report on the second).
import fs from 'node:fs';
import path from 'node:path';

export interface HaluQuestion {
  id: string;
  question: string;
  knowledge: string;
}

export const HALUEVAL = path.resolve(__dirname, '../../../shared/data/rag/halueval_qa.jsonl');

export function haluEval(): {
  passages: HaluQuestion[];
  tune: HaluQuestion[];
  report: HaluQuestion[];
} {
  if (!fs.existsSync(HALUEVAL))
    throw new Error(`reference data missing: ${HALUEVAL} (see shared/data)`);
  const passages = fs
    .readFileSync(HALUEVAL, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as HaluQuestion);
  const half = Math.floor(passages.length / 2);
  return { passages, tune: passages.slice(0, half), report: passages.slice(half) };
}

export interface Figures {
  recallAt1: number;
  recallAt5: number;
  mrr: number;
}

/** recall@1, recall@5 and MRR (over the top 10) of ranked ids against each gold id. */
export function figures(ranked: Array<{ gold: string; ids: string[] }>): Figures {
  let at1 = 0;
  let at5 = 0;
  let reciprocal = 0;
  for (const { gold, ids } of ranked) {
    const rank = ids.slice(0, 10).indexOf(gold) + 1;
    if (rank === 1) at1++;
    if (rank >= 1 && rank <= 5) at5++;
    if (rank >= 1) reciprocal += 1 / rank;
  }
  const n = ranked.length;
  return { recallAt1: at1 / n, recallAt5: at5 / n, mrr: reciprocal / n };
}

export function formatFigures(name: string, f: Figures): string {
  return `${name.padEnd(34)} recall@1 ${f.recallAt1.toFixed(3)}  recall@5 ${f.recallAt5.toFixed(3)}  MRR ${f.mrr.toFixed(3)}`;
}
