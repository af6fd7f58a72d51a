// The fallback chain: each model in order until one answers (or, for a stream, sends its first
// chunk), every try recorded and priced. A call cut by the caller's deadline or cancellation
// ends the chain where it stands: no further model is called.
import { costOf, isBilled } from '@keel/catalog';
import { common, durationFromMs, inference, type router } from '@keel/contracts';
import { CancelledError, DeadlineExceededError, InvalidArgumentError } from '@keel/errors';
import { ProviderError, type ProviderChunk, type ProviderResponse } from './provider';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

export interface ServedAnswer {
  model: router.Model;
  text: string;
  usage: common.Usage;
  toolCalls: common.ToolCall[];
  finishReason: inference.FinishReason;
}

export interface ChainOutcome {
  /** The answer of the first model that succeeded; null when every model failed or time ran out. */
  served: ServedAnswer | null;
  attempts: inference.Attempt[];
  /** The sum of every billed attempt's cost. */
  costNanoUsd: bigint;
}

/**
 * Tells of a failed try that is an attempt of its own although the call goes on (it is
 * retried) or stops without it being the call's error (the caller's deadline cut it), so that
 * a try that used tokens is recorded and billed.
 */
export type Retried = (failure: ProviderError) => void;

/**
 * A try that was never sent to the provider: the model's circuit was open, or the caller's
 * deadline had passed (or it cancelled) before the try. It explains the fallback and is
 * recorded as a skipped attempt, which no one bills.
 */
export class NotSentError extends ProviderError {
  constructor(message: string) {
    super(message, { transient: false, outage: false });
    this.name = 'NotSentError';
  }
}

/**
 * Calls one model. It throws the last try's failure, or a DeadlineExceededError or
 * CancelledError when the caller's deadline or cancellation cut it.
 */
export type ModelCall = (model: router.Model, retried: Retried) => Promise<ProviderResponse>;

/** Opens a stream on one model: resolves once its first chunk arrived, throws like ModelCall. */
export type StreamOpen = (
  model: router.Model,
  retried: Retried,
) => Promise<AsyncIterator<ProviderChunk>>;

export interface OpenedStream {
  model: router.Model;
  /** Yields the first chunk first. */
  chunks: AsyncIterator<ProviderChunk>;
  /** When the try that opened it started (the clock of `now`): its attempt's latency runs from here. */
  startedAt: number;
  firstChunkAt: number;
}

export interface OpenedChain {
  /** The stream of the first model that sent a chunk; null when none did or time ran out. */
  opened: OpenedStream | null;
  /** Every failed try; the opened stream's attempt is recorded when it ends. */
  attempts: inference.Attempt[];
}

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
    costNanoUsd: chainCost(attempts),
  });

  for (const model of chain) {
    const tries = new Tries(model, attempts, now);
    let response: ProviderResponse;
    try {
      response = await call(model, tries.failed);
    } catch (error) {
      if (isCut(error)) break;
      tries.failed(error);
      continue;
    }
    const attempt = attemptOf(model, response.usage, tries.elapsed(), null, {
      finishReason: response.finishReason,
    });
    attempts.push(attempt);
    if (attempt.status === OK) {
      return outcome({
        model,
        text: response.text,
        usage: response.usage,
        toolCalls: response.toolCalls,
        finishReason: response.finishReason,
      });
    }
  }
  return outcome(null);
}

/**
 * Opens a stream along the chain: a model that fails before its first chunk falls back to the
 * next like `runChain`; once a chunk arrived, the stream is the caller's to deliver and record.
 */
export async function openStreamChain(
  chain: router.Model[],
  open: StreamOpen,
  now: () => number = () => performance.now(),
): Promise<OpenedChain> {
  const attempts: inference.Attempt[] = [];
  for (const model of chain) {
    const tries = new Tries(model, attempts, now);
    try {
      const chunks = await open(model, tries.failed);
      return {
        opened: { model, chunks, startedAt: tries.startedAt, firstChunkAt: now() },
        attempts,
      };
    } catch (error) {
      if (isCut(error)) break;
      tries.failed(error);
    }
  }
  return { opened: null, attempts };
}

/** The sum of the attempts' costs. */
export function chainCost(attempts: inference.Attempt[]): bigint {
  return attempts.reduce((sum, attempt) => sum + attempt.costNanoUsd, 0n);
}

/** Why every attempt failed, model by model: the message of the UNAVAILABLE answer. */
export function describeFailures(attempts: inference.Attempt[]): string {
  const reasons = attempts.map((attempt) => `${attempt.model} (${attempt.errorMessage})`);
  return `every model of the chain failed: ${reasons.join('; ')}`;
}

/** What an attempt records beyond its usage and latency. */
export interface AttemptDetails {
  finishReason?: inference.FinishReason;
  /** For a streamed attempt that produced a chunk: from its start to that chunk. */
  timeToFirstTokenMs?: number;
  /** A streamed attempt's status (PARTIAL, CANCELLED); else OK, or FAILED with an error. */
  status?: inference.InferenceStatus;
}

/**
 * One try, priced from the catalog when it is billed. A usage the catalog cannot price (more
 * cached than input tokens) fails the attempt, with the provider's usage as it reported it.
 */
export function attemptOf(
  model: router.Model,
  usage: common.Usage | undefined,
  latencyMs: number,
  error: unknown,
  details: AttemptDetails = {},
): inference.Attempt {
  const counted = usage ?? common.Usage.create();
  const price = priceOf(model, counted);
  const reasons = [
    ...(error === null || error === undefined ? [] : [messageOf(error)]),
    ...('unpriceable' in price ? [`usage cannot be priced: ${price.unpriceable}`] : []),
  ];
  const status =
    'unpriceable' in price ? FAILED : (details.status ?? (reasons.length === 0 ? OK : FAILED));
  return inference.Attempt.fromPartial({
    model: model.name,
    provider: model.provider,
    status,
    usage: counted,
    costNanoUsd: 'costNanoUsd' in price ? price.costNanoUsd : 0n,
    latency: durationFromMs(latencyMs),
    errorMessage: reasons.join('; '),
    finishReason: details.finishReason,
    timeToFirstToken:
      details.timeToFirstTokenMs === undefined
        ? undefined
        : durationFromMs(details.timeToFirstTokenMs),
    httpStatus: error instanceof ProviderError ? (error.httpStatus ?? 0) : 0,
    skipped: error instanceof NotSentError,
  });
}

/** The tries on one model: each failed one becomes an attempt timed from the end of the last. */
class Tries {
  startedAt: number;

  constructor(
    private readonly model: router.Model,
    private readonly attempts: inference.Attempt[],
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  readonly failed = (error: unknown): void => {
    const usage = error instanceof ProviderError ? error.usage : undefined;
    this.attempts.push(attemptOf(this.model, usage, this.elapsed(), error));
    this.startedAt = this.now();
  };

  elapsed(): number {
    return this.now() - this.startedAt;
  }
}

/** The caller's deadline or cancellation ended the call: the chain stops there. */
function isCut(error: unknown): boolean {
  return error instanceof DeadlineExceededError || error instanceof CancelledError;
}

function priceOf(
  model: router.Model,
  usage: common.Usage,
): { costNanoUsd: bigint } | { unpriceable: string } {
  if (!isBilled(usage)) return { costNanoUsd: 0n };
  try {
    // An unpriced model's cost is unknown: 0 here, and billing marks the call unpriced.
    return { costNanoUsd: costOf(model.price, usage) ?? 0n };
  } catch (error) {
    if (error instanceof InvalidArgumentError) return { unpriceable: error.message };
    throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
