import { DriftCadence, type DriftSettings, testForDrop } from './drift';
import { type ScoreDraw, dropRate } from './drift-scores.fixture';

/** The service's defaults (config.ts). */
const SETTINGS: DriftSettings = { windowSize: 100, baselineSize: 400, alpha: 0.01, minDrop: 0.05 };
const RUNS = 1_000;

const passFail = (baselineMean: number, windowMean: number): ScoreDraw => ({
  kind: 'pass_fail',
  baselineMean,
  windowMean,
  spread: 0,
});
const graded = (baselineMean: number, windowMean: number, spread = 0.1): ScoreDraw => ({
  kind: 'graded',
  baselineMean,
  windowMean,
  spread,
});

describe('testForDrop over 1,000 seeded draws each', () => {
  it('detects pass rates falling from 80% to 60% in at least 90% of draws', () => {
    expect(dropRate(passFail(0.8, 0.6), SETTINGS, RUNS)).toBeGreaterThanOrEqual(0.9);
  });

  it('detects graded scores falling by their spread (0.8 to 0.7, sd 0.1) in every draw', () => {
    expect(dropRate(graded(0.8, 0.7), SETTINGS, RUNS)).toBe(1);
  });

  it('raises a false alarm on pass/fail noise of the baseline (80% both) in at most alpha of draws', () => {
    expect(dropRate(passFail(0.8, 0.8), SETTINGS, RUNS)).toBeLessThanOrEqual(SETTINGS.alpha);
  });

  it('raises a false alarm on graded noise of the baseline’s spread in at most alpha of draws', () => {
    expect(dropRate(graded(0.8, 0.8), SETTINGS, RUNS)).toBeLessThanOrEqual(SETTINGS.alpha);
    expect(dropRate(graded(0.6, 0.6, 0.25), SETTINGS, RUNS)).toBeLessThanOrEqual(SETTINGS.alpha);
  });
});

describe('testForDrop', () => {
  const ones = (count: number, value: number) => Array.from({ length: count }, () => value);

  it("reports the means, counts and Welch's t of the window against the baseline", () => {
    const result = testForDrop([1, 1, 0, 1], [0, 1, 0], SETTINGS);
    expect(result).toMatchObject({
      baselineMean: 0.75,
      baselineCount: 4,
      windowCount: 3,
      drop: false,
    });
    expect(result.windowMean).toBeCloseTo(1 / 3, 12);
    // (1/3 - 3/4) / sqrt(0.25/4 + (1/3)/3) = -1, on 4.03 degrees of freedom (Welch).
    expect(result.statistic).toBeCloseTo(-1, 12);
    // P(T <= -1) is 0.18695 on 4 degrees of freedom (t tables); a little less on 4.03.
    expect(result.pValue).toBeCloseTo(0.18674, 5);
  });

  it('reports a drop of a constant baseline to a constant lower window, with p = 0', () => {
    expect(testForDrop(ones(10, 1), ones(10, 0), SETTINGS)).toMatchObject({
      statistic: -Number.MAX_VALUE,
      pValue: 0,
      drop: true,
    });
  });

  it('does not report equal constant scores, nor a rise', () => {
    expect(testForDrop(ones(10, 1), ones(10, 1), SETTINGS)).toMatchObject({
      statistic: 0,
      pValue: 1,
      drop: false,
    });
    const rise = testForDrop([0.2, 0.4, 0.3, 0.5], [0.8, 0.9, 0.7, 0.9], SETTINGS);
    expect(rise.statistic).toBeGreaterThan(0);
    expect(rise.drop).toBe(false);
  });

  it('does not report a significant fall smaller than the minimum drop', () => {
    const baseline = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 0.81 : 0.79));
    const window = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 0.78 : 0.76));
    const result = testForDrop(baseline, window, SETTINGS);
    expect(result.pValue).toBeLessThan(1e-6);
    expect(result.drop).toBe(false);
  });

  it('refuses a baseline or a window of fewer than two scores', () => {
    expect(() => testForDrop([1], [0, 1], SETTINGS)).toThrow(RangeError);
    expect(() => testForDrop([1, 0], [0], SETTINGS)).toThrow(RangeError);
  });
});

describe('DriftCadence', () => {
  it("makes a key's check due once every window of new scores", () => {
    const cadence = new DriftCadence(3);
    const due = Array.from({ length: 7 }, () => cadence.scored('a'));
    expect(due).toEqual([false, false, true, false, false, true, false]);
  });

  it('counts each key apart', () => {
    const cadence = new DriftCadence(2);
    expect([cadence.scored('a'), cadence.scored('b'), cadence.scored('a')]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('makes the next score due again after a check that could not finish', () => {
    const cadence = new DriftCadence(5);
    cadence.scored('a');
    cadence.retry('a');
    expect(cadence.scored('a')).toBe(true);
  });
});
