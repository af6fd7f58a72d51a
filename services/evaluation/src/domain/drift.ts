// Drift: whether one evaluator's latest scores for a function's variant dropped below the
// scores before them. The test is Welch's t-test, one-sided for a drop: it lets the two
// spreads differ, and on pass/fail scores (0 or 1) with tens of samples it gives the same
// answer as a two-proportion z-test. A drop needs both p < alpha and a mean at least
// `minDrop` lower, so a long run of scores cannot make a negligible slide an alert.
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export interface DriftSettings {
  /** Scores in the window: the latest ones. */
  windowSize: number;
  /** Scores in the baseline: the ones just before the window. */
  baselineSize: number;
  /** The one-sided p-value under which a drop is significant. */
  alpha: number;
  /** How far the window's mean must fall below the baseline's, on the 0..1 score scale. */
  minDrop: number;
}

export const DRIFT_TEST = 'welch_t';

export interface DropTest {
  baselineMean: number;
  baselineCount: number;
  windowMean: number;
  windowCount: number;
  /** Welch's t of the window against the baseline: negative when the window is lower. */
  statistic: number;
  /** The probability of a t this low or lower were both drawn alike. */
  pValue: number;
  drop: boolean;
}

interface Moments {
  count: number;
  mean: number;
  variance: number;
}

function momentsOf(scores: number[]): Moments {
  const count = scores.length;
  const mean = scores.reduce((sum, score) => sum + score, 0) / count;
  const squares = scores.reduce((sum, score) => sum + (score - mean) ** 2, 0);
  return { count, mean, variance: squares / (count - 1) };
}

/** Tests the window against the baseline; each needs at least two scores. */
export function testForDrop(
  baseline: number[],
  window: number[],
  settings: Pick<DriftSettings, 'alpha' | 'minDrop'>,
): DropTest {
  if (baseline.length < 2 || window.length < 2) {
    throw new RangeError('the baseline and the window need two scores each');
  }
  const before = momentsOf(baseline);
  const after = momentsOf(window);
  const difference = after.mean - before.mean;
  const baselineTerm = before.variance / before.count;
  const windowTerm = after.variance / after.count;
  const standardError = Math.sqrt(baselineTerm + windowTerm);
  let statistic: number;
  let pValue: number;
  if (standardError === 0) {
    // Both constant: a lower window is certainly lower, an equal or higher one is no drop. t
    // is unbounded: the largest finite number stands in, as the store refuses infinities.
    statistic = Math.sign(difference) * Number.MAX_VALUE;
    pValue = difference < 0 ? 0 : 1;
  } else {
    statistic = difference / standardError;
    // Welch–Satterthwaite degrees of freedom.
    const degrees =
      (baselineTerm + windowTerm) ** 2 /
      (baselineTerm ** 2 / (before.count - 1) + windowTerm ** 2 / (after.count - 1));
    pValue = tCdf(statistic, degrees);
  }
  return {
    baselineMean: before.mean,
    baselineCount: before.count,
    windowMean: after.mean,
    windowCount: after.count,
    statistic,
    pValue,
    drop: pValue < settings.alpha && -difference >= settings.minDrop,
  };
}

/**
 * When each key's next check is due: once every `windowSize` new scores, so consecutive checks
 * test windows that do not overlap (fewer tests, fewer false alarms than a check per score).
 */
export class DriftCadence {
  private readonly sinceCheck = new Map<string, number>();

  constructor(private readonly windowSize: number) {}

  /** Counts one new score of the key; true when it makes a check due (and starts a new count). */
  scored(key: string): boolean {
    const count = (this.sinceCheck.get(key) ?? 0) + 1;
    if (count < this.windowSize) {
      this.sinceCheck.set(key, count);
      return false;
    }
    this.sinceCheck.set(key, 0);
    return true;
  }

  /** Makes the key's next score start a check (the last one could not finish). */
  retry(key: string): void {
    this.sinceCheck.set(key, this.windowSize - 1);
  }
}
