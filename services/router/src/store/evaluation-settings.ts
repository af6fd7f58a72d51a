// The documents of a function's evaluators and service level. An unset service level is null
// (absent in documents written before it existed), never a zero value.
import type { router } from '@keel/contracts';

export interface EvaluatorConfigDoc {
  /** `name@version`. */
  evaluator: string;
  sampling_rate: number;
  params_json: string;
}

export interface ServiceLevelDoc {
  max_latency: { seconds: bigint; nanos: number } | null;
  max_cost_nano_usd: bigint;
}

export function evaluatorsDoc(configs: readonly router.EvaluatorConfig[]): EvaluatorConfigDoc[] {
  return configs.map((config) => ({
    evaluator: config.evaluator,
    sampling_rate: config.samplingRate,
    params_json: config.paramsJson,
  }));
}

export function evaluatorsOf(
  docs: readonly EvaluatorConfigDoc[] | null | undefined,
): router.EvaluatorConfig[] {
  return (docs ?? []).map((doc) => ({
    evaluator: doc.evaluator,
    samplingRate: doc.sampling_rate,
    paramsJson: doc.params_json,
  }));
}

export function serviceLevelDoc(level: router.ServiceLevel | undefined): ServiceLevelDoc | null {
  if (!level) return null;
  const latency = level.maxLatency;
  return {
    max_latency: latency ? { seconds: latency.seconds, nanos: latency.nanos } : null,
    max_cost_nano_usd: level.maxCostNanoUsd,
  };
}

export function serviceLevelOf(
  doc: ServiceLevelDoc | null | undefined,
): router.ServiceLevel | undefined {
  if (!doc) return undefined;
  const latency = doc.max_latency;
  return {
    maxLatency: latency ? { seconds: BigInt(latency.seconds), nanos: latency.nanos } : undefined,
    maxCostNanoUsd: BigInt(doc.max_cost_nano_usd),
  };
}
