// Checks a function's evaluators and service level. An evaluator's params are checked by the
// evaluator's own parser, so a function is refused when it is put, not when it is evaluated.
import type { router } from '@keel/contracts';
import { EVALUATORS } from '@keel/evaluators';
import { InvalidArgumentError } from '@keel/errors';
import { nonNegative } from './guardrails';

/** Evaluators one function may run. */
export const MAX_EVALUATORS = 32;

export function validateEvaluators(
  configs: readonly router.EvaluatorConfig[],
  field: string,
): router.EvaluatorConfig[] {
  if (configs.length > MAX_EVALUATORS) {
    throw new InvalidArgumentError(
      field,
      `${configs.length} evaluators; at most ${MAX_EVALUATORS}`,
    );
  }
  const firstIndexOf = new Map<string, number>();
  return configs.map((config, i) => {
    const at = `${field}[${i}]`;
    const definition = EVALUATORS.get(config.evaluator);
    if (!definition) {
      throw new InvalidArgumentError(
        `${at}.evaluator`,
        `'${config.evaluator}' is not a known evaluator; known: ${[...EVALUATORS.keys()].join(', ')}`,
      );
    }
    const earlier = firstIndexOf.get(config.evaluator);
    if (earlier !== undefined) {
      throw new InvalidArgumentError(
        `${at}.evaluator`,
        `'${config.evaluator}' is already ${field}[${earlier}]`,
      );
    }
    firstIndexOf.set(config.evaluator, i);
    const rate = config.samplingRate;
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new InvalidArgumentError(
        `${at}.sampling_rate`,
        `${rate} is out of range; must be from 0 to 1 (0 means every inference)`,
      );
    }
    try {
      definition.parseParams(config.paramsJson);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      // The evaluator names the field under `params_json`; the request names the entry too.
      const problem = error.message.slice(error.field.length + 2);
      throw new InvalidArgumentError(`${at}.${error.field}`, problem);
    }
    return { evaluator: config.evaluator, samplingRate: rate, paramsJson: config.paramsJson };
  });
}

/** Unset stays unset; a latency or cost of 0 means no objective on it. */
export function validateServiceLevel(
  level: router.ServiceLevel | undefined,
  field: string,
): router.ServiceLevel | undefined {
  if (!level) return undefined;
  const latency = level.maxLatency;
  if (latency) {
    nonNegative(latency.seconds, `${field}.max_latency.seconds`);
    if (latency.nanos < 0 || latency.nanos > 999_999_999) {
      throw new InvalidArgumentError(`${field}.max_latency.nanos`, 'must be from 0 to 999999999');
    }
  }
  nonNegative(level.maxCostNanoUsd, `${field}.max_cost_nano_usd`);
  return {
    maxLatency: latency ? { seconds: latency.seconds, nanos: latency.nanos } : undefined,
    maxCostNanoUsd: level.maxCostNanoUsd,
  };
}
