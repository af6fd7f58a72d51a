// The fallback chain: each model in order until one answers, every try recorded and priced.
import { costOf, isBilled } from '@keel/catalog';
import { common, durationFromMs, inference, type router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
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

/**
 * Calls one model; `retried` is told of each failed try the call retries, so that a try that
 * used tokens is recorded (and billed) as an attempt of its own.
 */
export type ModelCall = (
  model: router.Model,
  retried: (failure: ProviderError) => void,
) => Promise<ProviderResponse>;

/**
 * Runs the chain. Each try is an attempt: a retried try is a FAILED attempt whose latency runs
 * from the end of the try before it (its backoff included).
 */
export async function runChain(
  chain: router.Model[],
  call: ModelCall,
  now: () => number = () => performance.now(),
): Promise<ChainOutcome> {
  const attempts: inference.Attempt[] = [];
  const outcome = (served: ServedAnswer | null): ChainOutcome => ({
    served,
    attempts,
    costNanoUsd: attempts.reduce((sum, attempt) => sum + attempt.costNanoUsd, 0n),
  });

  for (const model of chain) {
    let started = now();
    const failed = (error: unknown) => {
      const usage = error instanceof ProviderError ? error.usage : undefined;
      attempts.push(attemptOf(model, usage, now() - started, error));
      started = now();
    };
    let response: ProviderResponse;
    try {
      response = await call(model, failed);
    } catch (error) {
      failed(error);
      continue;
    }
    const attempt = attemptOf(model, response.usage, now() - started, null);
    attempts.push(attempt);
    if (attempt.status === OK) {
      return outcome({ model, text: response.text, usage: response.usage });
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
 * One try, priced from the catalog when it is billed. A usage the catalog cannot price (more
 * cached than input tokens) fails the attempt, with the provider's usage as it reported it.
 */
function attemptOf(
  model: router.Model,
  usage: common.Usage | undefined,
  latencyMs: number,
  error: unknown,
): inference.Attempt {
  const counted = usage ?? common.Usage.create();
  const price = priceOf(model, counted);
  const reasons = [
    ...(error === null ? [] : [messageOf(error)]),
    ...('unpriceable' in price ? [`usage cannot be priced: ${price.unpriceable}`] : []),
  ];
  return inference.Attempt.fromPartial({
    model: model.name,
    provider: model.provider,
    status: reasons.length === 0 ? OK : FAILED,
    usage: counted,
    costNanoUsd: 'costNanoUsd' in price ? price.costNanoUsd : 0n,
    latency: durationFromMs(latencyMs),
    errorMessage: reasons.join('; '),
  });
}

function priceOf(
  model: router.Model,
  usage: common.Usage,
): { costNanoUsd: bigint } | { unpriceable: string } {
  if (!isBilled(usage)) return { costNanoUsd: 0n };
  try {
    return { costNanoUsd: costOf(model.price, usage) };
  } catch (error) {
    if (error instanceof InvalidArgumentError) return { unpriceable: error.message };
    throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
