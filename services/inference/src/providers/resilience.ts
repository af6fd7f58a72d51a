// How Keel calls a provider, in one place. Each try has a timeout of its own (for a stream, until
// its first chunk); a failure the provider calls transient is retried after an exponential,
// jittered backoff, or after the Retry-After the provider asked for; a circuit breaker per
// provider and provider model stops calling one that keeps failing until it has had time to
// recover; and the caller's deadline bounds it all: no try starts after it, and the try in
// flight is aborted when it passes. Each try is a span of its own (attempt-span.ts).
//
// The retry loop is written here rather than with cockatiel's retry policy, whose wait between
// tries cannot be cut short by the caller going away and whose retry rule cannot see the
// caller's deadline; cockatiel still provides the breaker and the jittered backoff.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusLogger } from '@keel/bus';
import type { router } from '@keel/contracts';
import { CancelledError, DeadlineExceededError, isKeelError } from '@keel/errors';
import { CallEnded } from '@keel/kit';
import { type Meter, metrics } from '@opentelemetry/api';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ExponentialBackoff,
  type IBackoff,
  SamplingBreaker,
  TaskCancelledError,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import type { InferenceConfig } from '../config';
import { NotSentError } from '../domain/fallback';
import { AttemptSpan, type AttemptErrorType } from './attempt-span';
import {
  type Provider,
  type ProviderChunk,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from '../domain/provider';

/** What a call on a model asks, whatever the model: the model and the signal are added per try. */
export type ModelRequest = Omit<ProviderRequest, 'model' | 'signal'>;

export interface CallOptions {
  /** Aborted when the caller cancels or its deadline passes. */
  signal: AbortSignal;
  /** Epoch ms at which the caller's deadline passes; Infinity when it has none. */
  deadline: number;
  /**
   * Told at once of each failed try other than the one whose failure the call throws: the tries
   * that are retried, the try in flight when the caller's deadline or cancellation cut the call,
   * and the try that cut kept from being sent (a NotSentError). Each is an attempt of its own,
   * so that the tokens it used are billed.
   */
  retried: (failure: ProviderError) => void;
}

/**
 * When a model's circuit opens: once at least `minCalls` tries ended in the last `windowMs`
 * and more than `failureRatio` of them were outages (timeouts, connection failures, 408, 429,
 * 5xx). A ratio over a window, not a count of consecutive failures: under load a model failing
 * a steady share of calls at random would trip a consecutive count now and then, yet it still
 * answers most calls and its retries cover the rest. Open, the circuit refuses every call for
 * `openMs`; then one probe goes through (concurrent calls wait for it): its success closes the
 * circuit, its failure opens it again.
 */
export interface BreakerOptions {
  failureRatio: number;
  windowMs: number;
  minCalls: number;
  openMs: number;
}

export interface ResilienceOptions {
  /** The longest one try may take; for a stream, until its first chunk. */
  attemptTimeoutMs: number;
  /** Tries after the first on one model, for a transient failure; default 2 (3 tries). */
  retries?: number;
  /** The first retry's delay, growing exponentially with jitter up to `retryMaxDelayMs`. */
  retryDelayMs?: number;
  retryMaxDelayMs?: number;
  /** The longest Retry-After waited for; a provider asking for more is left for the next model. */
  retryAfterMaxMs?: number;
  breaker?: Partial<BreakerOptions>;
  /** Where the breaker state gauge is registered; the global meter provider's by default. */
  meter?: Meter;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** The model's circuit is open: the try was refused without calling the provider. */
export class CircuitOpenError extends NotSentError {
  constructor(model: router.Model) {
    super(
      `circuit open: ${model.providerModel} on ${model.provider} failed repeatedly and is ` +
        'skipped until it recovers',
    );
    this.name = 'CircuitOpenError';
  }
}

/** The resilience settings of the service's configuration. */
export function resilienceOptionsOf(config: InferenceConfig): ResilienceOptions {
  return {
    attemptTimeoutMs: config.KEEL_PROVIDER_ATTEMPT_TIMEOUT_MS,
    retries: config.KEEL_PROVIDER_RETRIES,
    retryAfterMaxMs: config.KEEL_PROVIDER_RETRY_AFTER_MAX_MS,
    breaker: {
      failureRatio: config.KEEL_PROVIDER_BREAKER_FAILURE_RATIO,
      windowMs: config.KEEL_PROVIDER_BREAKER_WINDOW_MS,
      minCalls: config.KEEL_PROVIDER_BREAKER_MIN_CALLS,
      openMs: config.KEEL_PROVIDER_BREAKER_OPEN_MS,
    },
  };
}

const DEFAULT_BREAKER: BreakerOptions = {
  failureRatio: 0.5,
  windowMs: 10_000,
  minCalls: 20,
  openMs: 10_000,
};

// The gauge's values, by severity.
const GAUGE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

interface Breaker {
  model: router.Model;
  policy: CircuitBreakerPolicy;
}

type Settings = Required<Omit<ResilienceOptions, 'breaker' | 'meter'>> & {
  breaker: BreakerOptions;
};

export class ResilientProviders {
  private readonly breakers = new Map<string, Breaker>();
  private readonly settings: Settings;
  private readonly backoff: ExponentialBackoff<unknown>;

  constructor(
    private readonly lookup: (providerName: string) => Provider | undefined,
    options: ResilienceOptions,
    private readonly logger: BusLogger,
  ) {
    this.settings = {
      retries: 2,
      retryDelayMs: 50,
      retryMaxDelayMs: 1_000,
      retryAfterMaxMs: 30_000,
      ...options,
      breaker: { ...DEFAULT_BREAKER, ...options.breaker },
    };
    this.backoff = new ExponentialBackoff({
      initialDelay: this.settings.retryDelayMs,
      maxDelay: this.settings.retryMaxDelayMs,
    });
    // Created here, not at import: the metrics API has no proxy for a provider registered later.
    (options.meter ?? metrics.getMeter('@keel/inference'))
      .createObservableGauge('keel.inference.breaker.state', {
        description: 'State of each provider model’s circuit: 0 closed, 1 half-open, 2 open',
      })
      .addCallback((result) => {
        for (const { model, policy } of this.breakers.values()) {
          result.observe(GAUGE_VALUE[stateName(policy.state)], {
            'gen_ai.provider.name': model.provider,
            'gen_ai.request.model': model.providerModel,
          });
        }
      });
  }

  /**
   * One call on `model`, its retries included. Throws a ProviderError for the last try's failure
   * (an error the adapter did not classify is logged here and becomes 'provider call failed'),
   * or a DeadlineExceededError or CancelledError when the caller's deadline or cancellation cut
   * the call.
   */
  async complete(
    model: router.Model,
    request: ModelRequest,
    options: CallOptions,
  ): Promise<ProviderResponse> {
    const adapter = this.adapterOf(model);
    const cut = new CallCut(options, model);
    try {
      return await this.withRetries(cut, options, () =>
        this.completeOnce(model, adapter, request, cut),
      );
    } finally {
      cut.dispose();
    }
  }

  /**
   * Opens a stream on `model`: resolves once its first chunk arrived, with tries timed out,
   * retried and refused by the breaker like `complete` until then. The iterator yields that
   * first chunk first; a failure after it is not retried (it rejects `next()` as a
   * ProviderError), and the caller's deadline or cancellation still aborts the stream.
   */
  async openStream(
    model: router.Model,
    request: ModelRequest,
    options: CallOptions,
  ): Promise<AsyncIterator<ProviderChunk>> {
    const adapter = this.adapterOf(model);
    const cut = new CallCut(options, model);
    try {
      return await this.withRetries(cut, options, () =>
        this.openOnce(model, adapter, request, cut),
      );
    } catch (error) {
      cut.dispose();
      throw error;
    }
  }

  /** The state of the circuit of `model`'s provider and provider model. */
  breakerState(model: router.Model): BreakerState {
    const breaker = this.breakers.get(breakerKey(model));
    return breaker ? stateName(breaker.policy.state) : 'closed';
  }

  private adapterOf(model: router.Model): Provider {
    const adapter = this.lookup(model.provider);
    if (!adapter) {
      throw new ProviderError(`no adapter serves provider '${model.provider}'`, {
        transient: false,
      });
    }
    return adapter;
  }

  private async withRetries<T>(
    cut: CallCut,
    options: CallOptions,
    once: () => Promise<T>,
  ): Promise<T> {
    let backoff: IBackoff<unknown> | undefined;
    for (let tries = 1; ; tries++) {
      if (cut.aborted) {
        // The try due now is never sent: it is recorded as skipped, with the reason.
        options.retried(new NotSentError(cut.error().message));
        throw cut.error();
      }
      let failure: ProviderError;
      try {
        return await once();
      } catch (error) {
        if (error instanceof TryCut) {
          options.retried(error.failure);
          throw cut.error();
        }
        failure = error as ProviderError;
      }
      if (cut.aborted) {
        options.retried(failure);
        throw cut.error();
      }
      backoff = backoff ? backoff.next(undefined) : this.backoff.next();
      const plan = this.retryPlan(failure, tries, backoff.duration, options.deadline);
      if ('giveUp' in plan) throw plan.giveUp;
      options.retried(failure);
      // A cut during the wait ends it early; the loop then records the try it skipped.
      await sleep(plan.waitMs, undefined, { signal: cut.signal }).catch(() => undefined);
    }
  }

  /**
   * Whether and when to try again after `failure`: never for a failure that is not transient
   * or once the retries are spent; after the Retry-After the provider asked for, unless it is
   * longer than Keel waits or than the time left before the deadline (the call then fails at
   * once, so the chain moves on to the next model); else after the backoff.
   */
  private retryPlan(
    failure: ProviderError,
    tries: number,
    backoffMs: number,
    deadline: number,
  ): { waitMs: number } | { giveUp: ProviderError } {
    if (!failure.transient || tries > this.settings.retries) return { giveUp: failure };
    const left = deadline - Date.now();
    const asked = failure.retryAfterMs;
    if (asked === undefined) {
      if (backoffMs < left) return { waitMs: backoffMs };
      return { giveUp: withNote(failure, 'not retried: the deadline passes before the next try') };
    }
    if (asked > this.settings.retryAfterMaxMs) {
      return {
        giveUp: withNote(
          failure,
          `not retried: Retry-After ${asked} ms is over the ${this.settings.retryAfterMaxMs} ms Keel waits`,
        ),
      };
    }
    if (asked >= left) {
      return {
        giveUp: withNote(
          failure,
          `not retried: Retry-After ${asked} ms outlasts the ${Math.max(0, Math.round(left))} ms left before the deadline`,
        ),
      };
    }
    return { waitMs: asked };
  }

  private completeOnce(
    model: router.Model,
    adapter: Provider,
    request: ModelRequest,
    cut: CallCut,
  ): Promise<ProviderResponse> {
    return this.throughBreaker(model, cut, async () => {
      const span = AttemptSpan.start(model, request.maxTokens);
      const attempt = new TryAbort(cut.signal, this.settings.attemptTimeoutMs);
      try {
        const response = await span.run(() =>
          unlessAborted(adapter.complete({ ...request, model, signal: attempt.signal }), attempt),
        );
        span.succeeded(response.usage);
        return response;
      } catch (error) {
        throw this.tryFailure(model, error, attempt, cut, span);
      } finally {
        attempt.dispose();
      }
    });
  }

  private openOnce(
    model: router.Model,
    adapter: Provider,
    request: ModelRequest,
    cut: CallCut,
  ): Promise<AsyncIterator<ProviderChunk>> {
    return this.throughBreaker(model, cut, async () => {
      const span = AttemptSpan.start(model, request.maxTokens);
      const attempt = new TryAbort(cut.signal, this.settings.attemptTimeoutMs);
      let chunks: AsyncIterator<ProviderChunk> | undefined;
      try {
        const first = await span.run(() => {
          const stream = adapter.stream({ ...request, model, signal: attempt.signal });
          chunks = stream[Symbol.asyncIterator]();
          return unlessAborted(chunks.next(), attempt);
        });
        if (first.done) {
          throw new ProviderError('the stream ended before its first chunk', { transient: true });
        }
        attempt.firstChunkArrived();
        span.firstChunk();
        return new PassThrough(first.value, chunks as AsyncIterator<ProviderChunk>, span, attempt, {
          failureOf: (error) => this.streamFailure(model, error, cut),
          release: () => {
            attempt.dispose();
            cut.dispose();
          },
        });
      } catch (error) {
        attempt.dispose();
        // Ends the adapter's request; its pending read, if any, fails on the aborted signal.
        void chunks?.return?.().catch(() => undefined);
        throw this.tryFailure(model, error, attempt, cut, span);
      }
    });
  }

  /** A try through the model's breaker: an open circuit refuses it without calling. */
  private async throughBreaker<T>(
    model: router.Model,
    cut: CallCut,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.breakerFor(model).execute(run, cut.signal);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError(model);
      // The caller went away while waiting for another call's probe of a half-open circuit.
      if (error instanceof TaskCancelledError) throw cut.error();
      throw error;
    }
  }

  /** The failure of one try, its span ended: a TryCut when the caller's cut ended it. */
  private tryFailure(
    model: router.Model,
    error: unknown,
    attempt: TryAbort,
    cut: CallCut,
    span: AttemptSpan,
  ): ProviderError | TryCut {
    if (cut.aborted) {
      const failure = cutFailure(cut, error);
      span.failed(failure, cut.errorType());
      return new TryCut(failure);
    }
    if (attempt.timedOut) {
      const failure = new ProviderError(`timed out after ${this.settings.attemptTimeoutMs} ms`, {
        transient: true,
        usage: error instanceof ProviderError ? error.usage : undefined,
        cause: error,
      });
      span.failed(failure, 'timeout');
      return failure;
    }
    const failure = this.providerErrorOf(model, error);
    span.failed(failure);
    return failure;
  }

  /** A stream's failure after its first chunk: never retried, whatever its cause. */
  private streamFailure(
    model: router.Model,
    error: unknown,
    cut: CallCut,
  ): { failure: ProviderError; type: AttemptErrorType } {
    if (cut.aborted) return { failure: cutFailure(cut, error), type: cut.errorType() };
    return { failure: this.providerErrorOf(model, error), type: undefined };
  }

  /**
   * `error` as a ProviderError. An adapter's refusal of the request (a Keel error, such as a
   * tool schema it cannot send) fails the attempt without a retry; any other error's message
   * stays in the log, not in events.
   */
  private providerErrorOf(model: router.Model, error: unknown): ProviderError {
    if (error instanceof ProviderError) return error;
    if (isKeelError(error)) {
      return new ProviderError(error.message, { transient: false, cause: error });
    }
    this.logger.warn(
      { model: model.name, provider: model.provider, err: error },
      'provider call failed with an unclassified error',
    );
    return new ProviderError('provider call failed', { transient: true, cause: error });
  }

  /** The circuit of the model's provider and provider model, built on its first call. */
  private breakerFor(model: router.Model): CircuitBreakerPolicy {
    const key = breakerKey(model);
    const existing = this.breakers.get(key);
    if (existing) return existing.policy;
    const { failureRatio, windowMs, minCalls, openMs } = this.settings.breaker;
    const policy: CircuitBreakerPolicy = circuitBreaker(
      // A probe the caller cut off proves nothing: the circuit opens again rather than closing.
      handleWhen(
        (error) =>
          isOutage(error) || (error instanceof TryCut && policy.state === CircuitState.HalfOpen),
      ),
      {
        halfOpenAfter: openMs,
        breaker: new SamplingBreaker({
          threshold: failureRatio,
          duration: windowMs,
          // Half a call less than asked, so the float product never rounds above minCalls.
          minimumRps: ((minCalls - 0.5) * 1_000) / windowMs,
        }),
      },
    );
    const fields = { provider: model.provider, provider_model: model.providerModel };
    policy.onBreak(() =>
      this.logger.warn(
        { ...fields, breaker_state: 'open' },
        `circuit opened: calls are refused for ${openMs} ms`,
      ),
    );
    policy.onHalfOpen(() =>
      this.logger.info({ ...fields, breaker_state: 'half-open' }, 'circuit half-open: one probe'),
    );
    policy.onReset(() =>
      this.logger.info({ ...fields, breaker_state: 'closed' }, 'circuit closed'),
    );
    this.breakers.set(key, { model, policy });
    return policy;
  }
}

/** Two providers may serve models of the same name: each pair has a circuit of its own. */
function breakerKey(model: router.Model): string {
  return `${model.provider}\u0000${model.providerModel}`;
}

function stateName(state: CircuitState): BreakerState {
  if (state === CircuitState.Closed) return 'closed';
  return state === CircuitState.HalfOpen ? 'half-open' : 'open';
}

/** A failure that says the model is down for everyone: it counts toward opening its circuit. */
function isOutage(error: unknown): boolean {
  return error instanceof ProviderError && error.transient && error.outage;
}

function withNote(failure: ProviderError, note: string): ProviderError {
  return new ProviderError(`${failure.message}; ${note}`, {
    transient: failure.transient,
    outage: failure.outage,
    usage: failure.usage,
    httpStatus: failure.httpStatus,
    retryAfterMs: failure.retryAfterMs,
    cause: failure.cause,
  });
}

/** The try the caller's cut ended, as an attempt: never retried, never an outage. */
function cutFailure(cut: CallCut, error: unknown): ProviderError {
  return new ProviderError(cut.error().message, {
    transient: false,
    outage: false,
    usage: error instanceof ProviderError ? error.usage : undefined,
    httpStatus: error instanceof ProviderError ? error.httpStatus : undefined,
    cause: error,
  });
}

/** A try the caller's deadline or cancellation ended; `failure` is its attempt. */
class TryCut extends Error {
  constructor(readonly failure: ProviderError) {
    super(failure.message);
  }
}

// Timers longer than this fire at once in Node; a deadline that far away is no deadline.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The end of a call by the caller: its cancellation, or its deadline passing. */
class CallCut {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private deadlinePassed = false;
  private readonly follow = () => this.controller.abort();

  constructor(
    private readonly options: CallOptions,
    private readonly model: router.Model,
  ) {
    if (options.signal.aborted) this.controller.abort();
    else options.signal.addEventListener('abort', this.follow, { once: true });
    const left = options.deadline - Date.now();
    if (left <= MAX_TIMER_MS) {
      this.timer = setTimeout(() => {
        this.deadlinePassed = true;
        this.controller.abort();
      }, left);
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted || Date.now() >= this.options.deadline;
  }

  error(): DeadlineExceededError | CancelledError {
    return this.cancelledByCaller()
      ? new CancelledError(`the caller cancelled the call to ${this.model.name}`)
      : new DeadlineExceededError(`the deadline passed while calling ${this.model.name}`);
  }

  /** The caller's signal ended the call, before the deadline passed. */
  private cancelledByCaller(): boolean {
    const { signal, deadline } = this.options;
    if (!signal.aborted || this.deadlinePassed) return false;
    return signal.reason instanceof CallEnded ? signal.reason.byCaller : Date.now() < deadline;
  }

  errorType(): AttemptErrorType {
    return this.error() instanceof DeadlineExceededError ? 'deadline_exceeded' : 'cancelled';
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.options.signal.removeEventListener('abort', this.follow);
  }
}

/** One try's signal: it follows the caller's cut, and its own timeout until the first chunk. */
class TryAbort {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  timedOut = false;
  private readonly follow = () => this.controller.abort();

  constructor(
    private readonly cut: AbortSignal,
    timeoutMs: number,
  ) {
    if (cut.aborted) this.controller.abort();
    else cut.addEventListener('abort', this.follow, { once: true });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A stream's first chunk ends its timeout; the caller's cut still aborts it. */
  firstChunkArrived(): void {
    clearTimeout(this.timer);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.cut.removeEventListener('abort', this.follow);
  }
}

/** `work`, or a rejection as soon as the try is aborted, whether or not the adapter stops. */
function unlessAborted<T>(work: Promise<T>, attempt: TryAbort): Promise<T> {
  const signal = attempt.signal;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('the try was aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * A stream after its first chunk, passed through: its span ends with the stream (with the
 * usage of its end chunk), and a failure is turned into a ProviderError.
 */
class PassThrough implements AsyncIterator<ProviderChunk> {
  private first: ProviderChunk | undefined;
  private finished = false;

  constructor(
    first: ProviderChunk,
    private readonly chunks: AsyncIterator<ProviderChunk>,
    private readonly span: AttemptSpan,
    private readonly attempt: TryAbort,
    private readonly hooks: {
      failureOf: (error: unknown) => { failure: ProviderError; type: AttemptErrorType };
      release: () => void;
    },
  ) {
    this.first = first;
  }

  async next(): Promise<IteratorResult<ProviderChunk>> {
    if (this.first) {
      const chunk = this.first;
      this.first = undefined;
      this.seen(chunk);
      return { done: false, value: chunk };
    }
    if (this.finished) return { done: true, value: undefined };
    let result: IteratorResult<ProviderChunk>;
    try {
      result = await unlessAborted(this.chunks.next(), this.attempt);
    } catch (error) {
      const { failure, type } = this.hooks.failureOf(error);
      this.span.failed(failure, type);
      this.finish();
      throw failure;
    }
    if (result.done) {
      // No-op after the end chunk: the span already ended.
      this.span.failed(
        new ProviderError('the stream ended without its end chunk', { transient: true }),
      );
      this.finish();
      return result;
    }
    this.seen(result.value);
    return result;
  }

  /** The caller stopped reading: the adapter's request is aborted. */
  async return(): Promise<IteratorResult<ProviderChunk>> {
    this.span.failed(new Error('the caller stopped reading the stream'), 'cancelled');
    this.finish();
    await this.chunks.return?.();
    return { done: true, value: undefined };
  }

  /** The end chunk ends the span; the adapter's iterator ends on the next read. */
  private seen(chunk: ProviderChunk): void {
    if (chunk.type === 'end') this.span.succeeded(chunk.usage);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.hooks.release();
  }
}
