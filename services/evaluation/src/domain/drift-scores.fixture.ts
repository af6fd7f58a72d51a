// Synthetic scores for the drift detector's tests and its evaluation script, from seeded
// generators, so every run draws the same scores.
import bernoulli from '@stdlib/random-base-bernoulli';
import normal from '@stdlib/random-base-normal';
import { type DriftSettings, testForDrop } from './drift';

/** pass_fail: 0 or 1, 1 with probability `mean`; graded: normal around `mean`, cut to 0..1. */
export type ScoreKind = 'pass_fail' | 'graded';

export interface ScoreDraw {
  kind: ScoreKind;
  baselineMean: number;
  windowMean: number;
  /** The graded scores' standard deviation, in the baseline and the window alike. */
  spread: number;
}

/** Draws a baseline and a window of scores from one seeded generator. */
export function drawScores(
  draw: ScoreDraw,
  sizes: Pick<DriftSettings, 'baselineSize' | 'windowSize'>,
  seed: number,
): { baseline: number[]; window: number[] } {
  const passFail = bernoulli.factory({ seed });
  const graded = normal.factory({ seed });
  const next =
    draw.kind === 'pass_fail'
      ? (mean: number) => passFail(mean)
      : (mean: number) => Math.min(1, Math.max(0, graded(mean, draw.spread)));
  const scoresOf = (count: number, mean: number) => Array.from({ length: count }, () => next(mean));
  return {
    baseline: scoresOf(sizes.baselineSize, draw.baselineMean),
    window: scoresOf(sizes.windowSize, draw.windowMean),
  };
}

/** The share of `runs` seeded draws (seeds 1..runs) in which a drop is reported. */
export function dropRate(draw: ScoreDraw, settings: DriftSettings, runs: number): number {
  let drops = 0;
  for (let seed = 1; seed <= runs; seed += 1) {
    const { baseline, window } = drawScores(draw, settings, seed);
    if (testForDrop(baseline, window, settings).drop) drops += 1;
  }
  return drops / runs;
}
