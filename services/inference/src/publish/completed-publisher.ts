// Publishes InferenceCompleted events and resolves only once JetStream has acknowledged each, so
// a request can release its answer after its event is stored. An event is retried with backoff
// for as long as the process lives, whether or not its caller still waits. The events not yet
// acknowledged are the backlog: a metric, a log line while it cannot drain, and at its bound new
// requests are refused (admit) rather than left to pile up behind an unavailable bus.
import type { BusLogger } from '@keel/bus';
import type { inference } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import {
  type Meter,
  type ObservableCallback,
  type ObservableGauge,
  metrics,
} from '@opentelemetry/api';
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';

export interface PublisherOptions {
  /** Sends one event; resolves once JetStream has acknowledged it. */
  publish: (event: inference.InferenceCompleted) => Promise<unknown>;
  logger: BusLogger;
  /** The backlog at which admit() refuses new requests. */
  maxBacklog: number;
  /** The first retry's delay, doubling with jitter up to `maxRetryDelayMs`; default 50 ms. */
  retryDelayMs?: number;
  /** Default 1 s: callers wait on the retries, so they stay frequent. */
  maxRetryDelayMs?: number;
  /** Where the backlog gauge is reported; default the global meter provider's. */
  meter?: Meter;
}

/** At most one line a second while events fail, however many there are. */
const FAILURE_LOG_INTERVAL_MS = 1_000;

export class CompletedPublisher {
  private readonly backlog = new Set<inference.InferenceCompleted>();
  private readonly drainWaiters: Array<() => void> = [];
  /** open → stopping (stop() waits for the backlog, still taking events) → stopped. */
  private state: 'open' | 'stopping' | 'stopped' = 'open';
  private readonly giveUp = new AbortController();
  private readonly retryPolicy;
  private atBound = false;
  private failuresUnlogged = 0;
  private lastFailureLog = 0;
  private readonly backlogGauge: ObservableGauge;
  private readonly observeBacklog: ObservableCallback = (result) =>
    result.observe(this.backlog.size);

  constructor(private readonly options: PublisherOptions) {
    this.retryPolicy = retry(handleAll, {
      maxAttempts: Infinity,
      backoff: new ExponentialBackoff({
        initialDelay: options.retryDelayMs ?? 50,
        maxDelay: options.maxRetryDelayMs ?? 1_000,
      }),
      // A retry waiting when the process stops must not keep it alive.
    }).dangerouslyUnref();
    // Created here, not at import: the metrics API has no proxy for a provider registered later.
    this.backlogGauge = (
      options.meter ?? metrics.getMeter('@keel/inference')
    ).createObservableGauge('keel.inference.publish.backlog', {
      description: 'InferenceCompleted events not yet acknowledged by JetStream',
      unit: '{event}',
    });
    this.backlogGauge.addCallback(this.observeBacklog);
  }

  /** Events not yet acknowledged. */
  get pending(): number {
    return this.backlog.size;
  }

  /** Refuses a new request with UNAVAILABLE while the backlog is at its bound. */
  admit(): void {
    if (this.backlog.size < this.options.maxBacklog) return;
    throw new UnavailableError(
      `${this.backlog.size} completed inferences are waiting for the event bus to record them ` +
        `(at most ${this.options.maxBacklog}); retry shortly`,
    );
  }

  /**
   * Resolves once JetStream has acknowledged `event`, retrying until then. A caller that stops
   * waiting does not stop the retries. Rejects with UnavailableError only when stop() gave up
   * on the event, or when the publisher had already stopped (both logged with the event's id).
   */
  async publish(event: inference.InferenceCompleted): Promise<void> {
    if (this.state === 'stopped') {
      this.options.logger.error(
        { inference_id: event.inferenceId },
        'InferenceCompleted arrived after the publisher stopped: not published',
      );
      throw new UnavailableError('the service is stopping; the inference was not recorded');
    }
    this.backlog.add(event);
    this.backlogChanged();
    try {
      await this.retryPolicy.execute(async () => {
        try {
          await this.options.publish(event);
        } catch (error) {
          this.logFailure(event, error);
          throw error;
        }
      }, this.giveUp.signal);
    } catch (error) {
      // Only once stop() gave up on it, which has logged it.
      throw new UnavailableError('the service stopped before the inference was recorded', {
        cause: error,
      });
    } finally {
      this.backlog.delete(event);
      this.backlogChanged();
    }
  }

  /**
   * Waits until the backlog, including events published meanwhile, is empty, for `timeoutMs`
   * at most; then logs the inference ids left and stops retrying them.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.state = 'stopping';
    try {
      if (await this.drained(timeoutMs)) return;
      const left = [...this.backlog].map((event) => event.inferenceId);
      this.options.logger.error(
        { left: left.length, timeout_ms: timeoutMs, inference_ids: left.slice(0, 100) },
        'InferenceCompleted events not acknowledged before the stop timeout: not published',
      );
      this.giveUp.abort();
    } finally {
      this.state = 'stopped';
      this.backlogGauge.removeCallback(this.observeBacklog);
    }
  }

  private async drained(timeoutMs: number): Promise<boolean> {
    if (this.backlog.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.drainWaiters.push(() => resolve(true)));
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([drained, expired]);
    clearTimeout(timer);
    return result;
  }

  private backlogChanged(): void {
    const size = this.backlog.size;
    if (size === 0) for (const wake of this.drainWaiters.splice(0)) wake();
    const atBound = size >= this.options.maxBacklog;
    if (atBound === this.atBound) return;
    this.atBound = atBound;
    if (atBound) {
      this.options.logger.error(
        { backlog: size, max_backlog: this.options.maxBacklog },
        'InferenceCompleted backlog at its bound: refusing new requests with UNAVAILABLE',
      );
    } else {
      this.options.logger.info(
        { backlog: size, max_backlog: this.options.maxBacklog },
        'InferenceCompleted backlog below its bound: accepting requests again',
      );
    }
  }

  private logFailure(event: inference.InferenceCompleted, error: unknown): void {
    this.failuresUnlogged++;
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    this.options.logger.warn(
      {
        inference_id: event.inferenceId,
        backlog: this.backlog.size,
        failures: this.failuresUnlogged,
        err: error,
      },
      'InferenceCompleted not acknowledged by JetStream; retrying',
    );
    this.lastFailureLog = now;
    this.failuresUnlogged = 0;
  }
}
