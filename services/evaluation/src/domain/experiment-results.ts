// What an experiment reports per variant, from each example's run: mean score (overall and per
// evaluator), errors, cost, latency percentiles; then the gate's verdict on each variant.
import { durationFromMs, durationToMs, evaluation } from '@keel/contracts';

/** One example run against one variant. */
export interface ExampleRun {
  /** Unset when the inference failed. */
  answer?: {
    /** As the caller saw it: from sending the request to receiving the answer. */
    latencyMs: number;
    costNanoUsd: bigint;
    /** The evaluators that gave a verdict, with their score. */
    scores: Array<{ evaluator: string; score: number }>;
  };
}

/** The nearest-rank percentile (`p` in 0..1) of ascending `sorted`; 0 when it is empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1];
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** A variant's figures, before the gate is applied. */
export function variantResultOf(
  variantName: string,
  runs: readonly ExampleRun[],
): evaluation.VariantResult {
  const answered = runs.flatMap((run) => (run.answer ? [run.answer] : []));
  const scores = answered.flatMap((answer) => answer.scores);
  const byEvaluator = new Map<string, number[]>();
  for (const { evaluator, score } of scores) {
    byEvaluator.set(evaluator, [...(byEvaluator.get(evaluator) ?? []), score]);
  }
  const totalCost = answered.reduce((sum, answer) => sum + answer.costNanoUsd, 0n);
  const latencies = answered.map((answer) => answer.latencyMs).sort((a, b) => a - b);
  return evaluation.VariantResult.fromPartial({
    variantName,
    examples: BigInt(runs.length),
    errors: BigInt(runs.length - answered.length),
    meanScore: mean(scores.map((item) => item.score)),
    meanScoreByEvaluator: Object.fromEntries(
      [...byEvaluator].map(([evaluator, values]) => [evaluator, mean(values)]),
    ),
    totalCostNanoUsd: totalCost,
    costPerExampleNanoUsd: runs.length === 0 ? 0n : totalCost / BigInt(runs.length),
    p50Latency: durationFromMs(percentile(latencies, 0.5)),
    p95Latency: durationFromMs(percentile(latencies, 0.95)),
  });
}

const score = (value: number) => value.toFixed(3);

/** Why the gate fails `result`; empty when it passes. `baseline` is the baseline's result. */
export function gateFailuresOf(
  result: evaluation.VariantResult,
  gate: evaluation.ExperimentGate,
  baseline: evaluation.VariantResult | undefined,
): string[] {
  const failures: string[] = [];
  const examples = Number(result.examples);
  if (examples > 0 && result.errors === result.examples) {
    failures.push(`every inference failed (${examples} of ${examples})`);
  }
  if (gate.minMeanScore !== undefined && result.meanScore < gate.minMeanScore) {
    failures.push(
      `mean score ${score(result.meanScore)} is below the minimum ${score(gate.minMeanScore)}`,
    );
  }
  if (
    gate.maxCostPerExampleNanoUsd !== undefined &&
    result.costPerExampleNanoUsd > gate.maxCostPerExampleNanoUsd
  ) {
    failures.push(
      `cost per example ${result.costPerExampleNanoUsd} nano-USD is above the maximum ` +
        `${gate.maxCostPerExampleNanoUsd}`,
    );
  }
  const p95 = durationToMs(result.p95Latency);
  if (gate.maxP95Latency && p95 > durationToMs(gate.maxP95Latency)) {
    failures.push(
      `p95 latency ${p95.toFixed(1)} ms is above the maximum ${durationToMs(gate.maxP95Latency)} ms`,
    );
  }
  const errorRate = examples === 0 ? 0 : Number(result.errors) / examples;
  if (gate.maxErrorRate !== undefined && errorRate > gate.maxErrorRate) {
    failures.push(
      `error rate ${score(errorRate)} is above the maximum ${score(gate.maxErrorRate)}`,
    );
  }
  if (gate.maxScoreDrop !== undefined && baseline) {
    const drop = baseline.meanScore - result.meanScore;
    if (drop > gate.maxScoreDrop) {
      failures.push(
        `mean score ${score(result.meanScore)} is ${score(drop)} below baseline ` +
          `'${baseline.variantName}' (${score(baseline.meanScore)}); the most allowed is ` +
          score(gate.maxScoreDrop),
      );
    }
  }
  return failures;
}

/** Each variant's result with the gate's verdict on it. */
export function gatedResults(
  results: readonly evaluation.VariantResult[],
  gate: evaluation.ExperimentGate,
): evaluation.VariantResult[] {
  const baseline = results.find((result) => result.variantName === gate.baselineVariant);
  return results.map((result) => {
    const gateFailures = gateFailuresOf(result, gate, baseline);
    return { ...result, passed: gateFailures.length === 0, gateFailures };
  });
}
