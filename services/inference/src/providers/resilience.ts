// How Keel calls a provider, in one place: a timeout bounds each call on a model (its
// retries included), transient failures are retried with exponential backoff, and a circuit
// breaker per model stops calling a model that keeps failing until it has had time to recover.
// Each try is a span of its own (attempt-span.ts).
import type { BusLogger } from '@keel/bus';
import type { router } from '@keel/contracts';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  type IPolicy,
  type IRetryContext,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import { inAttemptSpan } from './attempt-span';
import { ProviderError, type ProviderRequest, type ProviderResponse } from './provider';
import type { ProviderRegistry } from './registry';

export interface ResilienceOptions {
  /** The longest one call on one model may take, retries included. */
  timeoutMs: number;
  /** Retries after a transient failure; default 2. */
  retries?: number;
  /** The first retry's delay, doubling with jitter up to 1 s; default 50 ms. */
  retryDelayMs?: number;
  /** Consecutive transient failures that open a model's circuit; default 5. */
  breakerFailures?: number;
  /** How long an open circuit refuses calls before it lets one through; default 10 s. */
  breakerOpenMs?: number;
}

/**
 * A failure that may pass: what the provider called transient (an error the adapter did not
 * classify, such as a dropped connection, reaches the policy as a transient ProviderError). An
 * open circuit and an elapsed timeout are outcomes of this policy, not of the provider, so they
 * are never retried.
 */
function isTransient(error: Error): boolean {
  if (error instanceof ProviderError) return error.transient;
  return !(error instanceof BrokenCircuitError || error instanceof TaskCancelledError);
}

/** A transient failure that says the model is down for everyone, not only for this call. */
function isOutage(error: Error): boolean {
  return isTransient(error) && (!(error instanceof ProviderError) || error.outage);
}

export class ResilientProviders {
  private readonly policies = new Map<string, IPolicy<IRetryContext>>();
  private readonly options: Required<ResilienceOptions>;

  constructor(
    private readonly registry: ProviderRegistry,
    options: ResilienceOptions,
    private readonly logger: BusLogger,
  ) {
    this.options = {
      retries: 2,
      retryDelayMs: 50,
      breakerFailures: 5,
      breakerOpenMs: 10_000,
      ...options,
    };
  }

  /**
   * One call on `model`, its retries included. Every failure comes out as a ProviderError: one
   * the adapter did not classify (a TypeError, a network error naming a URL) is logged here and
   * reaches the caller only as 'provider call failed'. `retried` is told at once of each failed
   * try that is retried, so it can be an attempt of its own and the tokens it used billed.
   */
  async complete(
    model: router.Model,
    request: Omit<ProviderRequest, 'model' | 'signal'>,
    retried: (failure: ProviderError) => void = () => undefined,
  ): Promise<ProviderResponse> {
    const adapter = this.registry.get(model.provider);
    if (!adapter) {
      throw new ProviderError(`no adapter serves provider '${model.provider}'`, {
        transient: false,
      });
    }
    // A try the timeout cut off may still fail later: by then the attempt is over.
    let settled = false;
    try {
      return await this.policyFor(model.name).execute(({ signal, attempt }) =>
        inAttemptSpan(model, request.maxTokens, signal, async () => {
          try {
            return await adapter.complete({ ...request, model, signal });
          } catch (error) {
            const failure = this.providerErrorOf(model, error);
            // The retry policy's own rule: a transient failure is retried while retries are left.
            const willRetry = isTransient(failure) && attempt < this.options.retries;
            if (willRetry && !signal.aborted && !settled) retried(failure);
            throw failure;
          }
        }),
      );
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ProviderError(
          `circuit open: ${model.name} failed repeatedly and is skipped until it recovers`,
          { transient: true, cause: error },
        );
      }
      if (error instanceof TaskCancelledError) {
        throw new ProviderError(`timed out after ${this.options.timeoutMs} ms`, {
          transient: true,
          cause: error,
        });
      }
      throw this.providerErrorOf(model, error);
    } finally {
      settled = true;
    }
  }

  /** `error` as a ProviderError; any other error's message stays in the log, not in events. */
  private providerErrorOf(model: router.Model, error: unknown): ProviderError {
    if (error instanceof ProviderError) return error;
    this.logger.warn(
      { model: model.name, provider: model.provider, err: error },
      'provider call failed with an unclassified error',
    );
    return new ProviderError('provider call failed', { transient: true, cause: error });
  }

  /** The model's policy, built on its first call: its breaker's state lives as long as Keel runs. */
  private policyFor(modelName: string): IPolicy<IRetryContext> {
    let policy = this.policies.get(modelName);
    if (!policy) {
      const { timeoutMs, retries, retryDelayMs, breakerFailures, breakerOpenMs } = this.options;
      policy = wrap(
        timeout(timeoutMs, TimeoutStrategy.Aggressive),
        retry(handleWhen(isTransient), {
          maxAttempts: retries,
          backoff: new ExponentialBackoff({ initialDelay: retryDelayMs, maxDelay: 1_000 }),
        }),
        circuitBreaker(handleWhen(isOutage), {
          halfOpenAfter: breakerOpenMs,
          breaker: new ConsecutiveBreaker(breakerFailures),
        }),
      );
      this.policies.set(modelName, policy);
    }
    return policy;
  }
}
