// The fallback chain: each model in order until one answers, every attempt recorded and priced.
import { costOf } from '@keel/catalog';
import { common, durationFromMs, inference, type router } from '@keel/contracts';
import { ProviderError, type ProviderResponse } from '../providers/provider';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

export interface ServedAnswer {
  model: router.Model;
  text: string;
  usage: common.Usage;
}

export interface ChainOutcome {
  /** The answer of the first model that succeeded; null when every model failed. */
  served: ServedAnswer | null;
  attempts: inference.Attempt[];
  /** The sum of every billed attempt's cost. */
  costNanoUsd: bigint;
}

export async function runChain(
  chain: router.Model[],
  call: (model: router.Model) => Promise<ProviderResponse>,
  now: () => number = () => performance.now(),
): Promise<ChainOutcome> {
  const attempts: inference.Attempt[] = [];
  const outcome = (served: ServedAnswer | null): ChainOutcome => ({
    served,
    attempts,
    costNanoUsd: attempts.reduce((sum, attempt) => sum + attempt.costNanoUsd, 0n),
  });

  for (const model of chain) {
    const started = now();
    try {
      const { text, usage } = await call(model);
      attempts.push(attemptOf(model, usage, now() - started, null));
      return outcome({ model, text, usage });
    } catch (error) {
      const usage = error instanceof ProviderError && error.usage ? error.usage : undefined;
      attempts.push(attemptOf(model, usage, now() - started, error));
    }
  }
  return outcome(null);
}

/** Why every attempt failed, model by model: the message of the UNAVAILABLE answer. */
export function describeFailures(attempts: inference.Attempt[]): string {
  const reasons = attempts.map((attempt) => `${attempt.model} (${attempt.errorMessage})`);
  return `every model of the chain failed: ${reasons.join('; ')}`;
}

/**
 * An attempt is billed when its usage has any tokens: a provider that read the prompt (or
 * generated part of an answer) before failing still charges for it.
 */
function attemptOf(
  model: router.Model,
  usage: common.Usage | undefined,
  latencyMs: number,
  error: unknown,
): inference.Attempt {
  const counted = usage ?? common.Usage.create();
  const billed = counted.inputTokens + counted.outputTokens > 0n;
  return inference.Attempt.fromPartial({
    model: model.name,
    provider: model.provider,
    status: error === null ? OK : FAILED,
    usage: counted,
    costNanoUsd: billed ? costOf(model.price, counted) : 0n,
    latency: durationFromMs(latencyMs),
    errorMessage: error === null ? '' : messageOf(error),
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
