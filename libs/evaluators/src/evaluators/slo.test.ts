import { durationFromMs, router } from '@keel/contracts';
import { evaluatedInference, run } from '../evaluated-inference.fixture';
import { slo } from './slo';

const serviceLevel = (maxLatencyMs: number, maxCostNanoUsd: bigint) =>
  router.ServiceLevel.fromPartial({
    maxLatency: maxLatencyMs ? durationFromMs(maxLatencyMs) : undefined,
    maxCostNanoUsd,
  });
const answered = (latencyMs: number, costNanoUsd: bigint, level?: router.ServiceLevel) =>
  evaluatedInference('ok', { latencyMs, costNanoUsd, serviceLevel: level });

describe('slo@1', () => {
  it('passes an answer within both objectives', async () => {
    expect(await run(slo, answered(900, 1_000n, serviceLevel(1_000, 2_000n)))).toEqual({
      score: 1,
      label: 'within_slo',
      reason: 'Latency and cost are within the service level.',
      failed: false,
    });
  });

  it('fails a late answer, scoring objective / actual', async () => {
    expect(await run(slo, answered(2_000, 1_000n, serviceLevel(1_000, 2_000n)))).toEqual({
      score: 0.5,
      label: 'over_latency',
      reason: 'Over the service level: latency 2000 ms > 1000 ms.',
      failed: true,
    });
  });

  it('fails a costly answer', async () => {
    const verdict = await run(slo, answered(100, 8_000n, serviceLevel(0, 2_000n)));
    expect(verdict).toMatchObject({ score: 0.25, label: 'over_cost', failed: true });
    expect(verdict).toHaveProperty('reason', expect.stringContaining('cost 8000 > 2000 nano-USD'));
  });

  it('reports both when both are over, scoring the worse', async () => {
    const verdict = await run(slo, answered(1_250, 4_000n, serviceLevel(1_000, 2_000n)));
    expect(verdict).toMatchObject({ score: 0.5, label: 'over_latency_and_cost', failed: true });
  });

  it('holds only the objectives that are set', async () => {
    expect(await run(slo, answered(60_000, 1n, serviceLevel(0, 2_000n)))).toMatchObject({
      label: 'within_slo',
    });
  });

  it('skips a function without a service level, or with both objectives 0', async () => {
    expect(await run(slo, answered(100, 1n))).toEqual({ skipped: 'no_service_level' });
    expect(await run(slo, answered(100, 1n, serviceLevel(0, 0n)))).toEqual({
      skipped: 'no_service_level',
    });
  });

  it('takes no params: the objectives are the function’s', () => {
    expect(() => slo.parseParams('{"max_latency_ms":5}')).toThrow(
      expect.objectContaining({ field: 'params_json.max_latency_ms' }),
    );
  });
});
