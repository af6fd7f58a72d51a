import { durationToMs } from '@keel/contracts';
import { defineEvaluator, verdict } from '../define';

/** Skip reason: the function sets neither a latency nor a cost objective. */
export const NO_SERVICE_LEVEL = 'no_service_level';

/**
 * The answer's latency and cost against the function's service level (0 there means no
 * objective). Failed when over either; the score is the worse of `objective / actual` (1 when
 * within), so an answer 10% late scores about 0.91.
 */
export const slo = defineEvaluator<Record<string, never>>({
  id: 'slo@1',
  description: "Whether the answer's latency and cost are within the function's service level.",
  paramsSchema: { type: 'object', additionalProperties: false },
  skipReason: ({ serviceLevel }) =>
    durationToMs(serviceLevel?.maxLatency) > 0 || (serviceLevel?.maxCostNanoUsd ?? 0n) > 0n
      ? undefined
      : NO_SERVICE_LEVEL,
  score: ({ latencyMs, costNanoUsd, serviceLevel }) => {
    const maxLatencyMs = durationToMs(serviceLevel?.maxLatency);
    const maxCost = serviceLevel?.maxCostNanoUsd ?? 0n;
    const lateBy = maxLatencyMs > 0 && latencyMs > maxLatencyMs;
    const costlyBy = maxCost > 0n && costNanoUsd > maxCost;
    const overs = [
      ...(lateBy ? [`latency ${latencyMs} ms > ${maxLatencyMs} ms`] : []),
      ...(costlyBy ? [`cost ${costNanoUsd} > ${maxCost} nano-USD`] : []),
    ];
    if (overs.length === 0) {
      return verdict(1, 'within_slo', 'Latency and cost are within the service level.', false);
    }
    const score = Math.min(
      lateBy ? maxLatencyMs / latencyMs : 1,
      costlyBy ? Number(maxCost) / Number(costNanoUsd) : 1,
    );
    const label =
      lateBy && costlyBy ? 'over_latency_and_cost' : lateBy ? 'over_latency' : 'over_cost';
    return verdict(score, label, `Over the service level: ${overs.join('; ')}.`, true);
  },
});
