// The checks on StartExperiment: the variants are the function's, the gate's bounds are in
// range and its baseline is one of the variants run.
import { durationToMs, type evaluation, type router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

export interface CheckedExperiment {
  variantNames: string[];
  gate: evaluation.ExperimentGate;
  concurrency: number;
}

export function checkExperimentRequest(
  request: evaluation.StartExperimentRequest,
  fn: router.KeelFunction,
): CheckedExperiment {
  if (request.variantNames.length === 0) {
    throw new InvalidArgumentError('variant_names', 'name at least one variant of the function');
  }
  const known = fn.variants.map((variant) => variant.variantName);
  request.variantNames.forEach((name, index) => {
    if (!known.includes(name)) {
      throw new InvalidArgumentError(
        `variant_names[${index}]`,
        `'${name}' is not a variant of function '${fn.functionName}' ` +
          `(its variants: ${known.map((each) => `'${each}'`).join(', ') || 'none'})`,
      );
    }
    if (request.variantNames.indexOf(name) !== index) {
      throw new InvalidArgumentError(`variant_names[${index}]`, `'${name}' is named twice`);
    }
  });
  if (request.concurrency < 0 || request.concurrency > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(
      'concurrency',
      `${request.concurrency} is outside 0 to ${MAX_CONCURRENCY}`,
    );
  }
  const gate = request.gate ?? {
    minMeanScore: undefined,
    maxCostPerExampleNanoUsd: undefined,
    maxP95Latency: undefined,
    maxScoreDrop: undefined,
    baselineVariant: '',
    maxErrorRate: undefined,
  };
  checkGate(gate, request.variantNames);
  return {
    variantNames: [...request.variantNames],
    gate,
    concurrency: request.concurrency === 0 ? DEFAULT_CONCURRENCY : request.concurrency,
  };
}

function checkShare(field: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(`gate.${field}`, `${value} is outside 0 to 1`);
  }
}

function checkGate(gate: evaluation.ExperimentGate, variantNames: string[]): void {
  checkShare('min_mean_score', gate.minMeanScore);
  checkShare('max_score_drop', gate.maxScoreDrop);
  checkShare('max_error_rate', gate.maxErrorRate);
  if (gate.maxCostPerExampleNanoUsd !== undefined && gate.maxCostPerExampleNanoUsd < 0n) {
    throw new InvalidArgumentError('gate.max_cost_per_example_nano_usd', 'must not be negative');
  }
  if (gate.maxP95Latency && durationToMs(gate.maxP95Latency) <= 0) {
    throw new InvalidArgumentError('gate.max_p95_latency', 'must be positive');
  }
  if (gate.baselineVariant !== '' && !variantNames.includes(gate.baselineVariant)) {
    throw new InvalidArgumentError(
      'gate.baseline_variant',
      `'${gate.baselineVariant}' is not one of the variants run (${variantNames.join(', ')})`,
    );
  }
  if (gate.maxScoreDrop !== undefined && gate.baselineVariant === '') {
    throw new InvalidArgumentError(
      'gate.baseline_variant',
      'max_score_drop compares with a baseline: name one of the variants run',
    );
  }
}
