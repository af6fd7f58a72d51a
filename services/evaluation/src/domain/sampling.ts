// Which inferences an evaluator scores: a share of them chosen by a hash of the inference and
// evaluator ids, so a redelivered event (or another replica) makes the same choice.
import { createHash } from 'node:crypto';

/** A sampling rate of 0 means every inference, as EvaluatorConfig.sampling_rate says. */
export function effectiveRate(samplingRate: number): number {
  return samplingRate <= 0 || samplingRate >= 1 ? 1 : samplingRate;
}

/** Whether `evaluator` scores `inferenceId` at `samplingRate`. */
export function sampled(inferenceId: string, evaluator: string, samplingRate: number): boolean {
  const rate = effectiveRate(samplingRate);
  if (rate === 1) return true;
  return sampleValue(inferenceId, evaluator) < rate;
}

/** A value in [0, 1) spread evenly over the pairs: the first 48 bits of a SHA-256. */
export function sampleValue(inferenceId: string, evaluator: string): number {
  const digest = createHash('sha256').update(`${inferenceId}\u0000${evaluator}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
