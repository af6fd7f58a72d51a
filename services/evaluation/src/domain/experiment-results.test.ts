import { durationFromMs, durationToMs, evaluation } from '@keel/contracts';
import { type ExampleRun, gatedResults, percentile, variantResultOf } from './experiment-results';

const answered = (latencyMs: number, cost: bigint, ...scores: number[]): ExampleRun => ({
  answer: {
    latencyMs,
    costNanoUsd: cost,
    scores: scores.map((score, i) => ({ evaluator: i === 0 ? 'exact@1' : 'length@1', score })),
  },
});

describe('percentile', () => {
  it('takes the nearest rank, and 0 of nothing', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(10);
    expect(percentile(sorted, 0.95)).toBe(19);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
  });
});

describe('variantResultOf', () => {
  it('means every score, per evaluator too; counts failed inferences as errors; costs per example', () => {
    const result = variantResultOf('a', [answered(100, 300n, 1, 0.5), answered(300, 500n, 0), {}]);
    expect(result).toMatchObject({
      variantName: 'a',
      examples: 3n,
      errors: 1n,
      meanScoreByEvaluator: { 'exact@1': 0.5, 'length@1': 0.5 },
      totalCostNanoUsd: 800n,
      costPerExampleNanoUsd: 266n,
    });
    expect(result.meanScore).toBeCloseTo(0.5);
    expect(durationToMs(result.p50Latency)).toBe(100);
    expect(durationToMs(result.p95Latency)).toBe(300);
  });
});

describe('gatedResults', () => {
  const result = (variantName: string, fields: Partial<evaluation.VariantResult>) =>
    evaluation.VariantResult.fromPartial({ variantName, examples: 10n, ...fields });

  it('passes a variant within every bound and names each bound another breaks', () => {
    const gate = evaluation.ExperimentGate.fromPartial({
      minMeanScore: 0.8,
      maxCostPerExampleNanoUsd: 1_000n,
      maxP95Latency: durationFromMs(500),
      maxErrorRate: 0.1,
      baselineVariant: 'a',
      maxScoreDrop: 0.05,
    });
    const [a, b] = gatedResults(
      [
        result('a', {
          meanScore: 0.9,
          costPerExampleNanoUsd: 900n,
          p95Latency: durationFromMs(400),
        }),
        result('b', {
          meanScore: 0.7,
          errors: 2n,
          costPerExampleNanoUsd: 1_200n,
          p95Latency: durationFromMs(812),
        }),
      ],
      gate,
    );
    expect(a).toMatchObject({ passed: true, gateFailures: [] });
    expect(b.passed).toBe(false);
    expect(b.gateFailures).toEqual([
      'mean score 0.700 is below the minimum 0.800',
      'cost per example 1200 nano-USD is above the maximum 1000',
      'p95 latency 812.0 ms is above the maximum 500 ms',
      'error rate 0.200 is above the maximum 0.100',
      "mean score 0.700 is 0.200 below baseline 'a' (0.900); the most allowed is 0.050",
    ]);
  });

  it('passes every variant with no bounds, unless every one of its inferences failed', () => {
    const [ok, broken] = gatedResults(
      [result('ok', { meanScore: 0 }), result('broken', { errors: 10n })],
      evaluation.ExperimentGate.fromPartial({}),
    );
    expect(ok.passed).toBe(true);
    expect(broken.gateFailures).toEqual(['every inference failed (10 of 10)']);
  });
});
