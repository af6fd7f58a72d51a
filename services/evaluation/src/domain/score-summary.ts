// What an aggregate reports, from a Tally of its evaluations' scores: the count, sum, failures
// and a histogram, so percentiles need no sorted list of every score.

/** Scores are binned to a thousandth: percentiles are exact to 0.001. */
export const SCORE_BINS = 1000;

export interface Tally {
  count: number;
  scoreSum: number;
  failures: number;
  /** Evaluations per score bin, keyed by `binKeyOf`. */
  histogram: Record<string, number>;
}

export interface ScoreSummary {
  count: number;
  meanScore: number;
  p50Score: number;
  p95Score: number;
  failureRate: number;
}

export function emptyTally(): Tally {
  return { count: 0, scoreSum: 0, failures: 0, histogram: {} };
}

/** `b0` … `b1000`: the score's bin, to a thousandth. */
export function binKeyOf(score: number): string {
  const clamped = Math.min(1, Math.max(0, score));
  return `b${Math.round(clamped * SCORE_BINS)}`;
}

export function addScore(tally: Tally, score: number, failed: boolean): void {
  tally.count += 1;
  tally.scoreSum += score;
  if (failed) tally.failures += 1;
  const key = binKeyOf(score);
  tally.histogram[key] = (tally.histogram[key] ?? 0) + 1;
}

/** The nearest-rank percentile: the lowest score with at least ⌈p·n⌉ scores at or below it. */
function percentile(bins: Array<[number, number]>, count: number, p: number): number {
  const rank = Math.max(1, Math.ceil(p * count));
  let seen = 0;
  for (const [bin, n] of bins) {
    seen += n;
    if (seen >= rank) return bin / SCORE_BINS;
  }
  return 0;
}

export function summaryOf(tally: Tally): ScoreSummary {
  if (tally.count === 0) {
    return { count: 0, meanScore: 0, p50Score: 0, p95Score: 0, failureRate: 0 };
  }
  const bins = Object.entries(tally.histogram)
    .map(([key, n]): [number, number] => [Number(key.slice(1)), n])
    .sort(([a], [b]) => a - b);
  return {
    count: tally.count,
    meanScore: tally.scoreSum / tally.count,
    p50Score: percentile(bins, tally.count, 0.5),
    p95Score: percentile(bins, tally.count, 0.95),
    failureRate: tally.failures / tally.count,
  };
}
