// Publishes InferenceCompleted events without holding the caller: a bounded in-process queue
// whose events are retried with backoff until JetStream acknowledges each, and flushed on stop.
import type { BusLogger } from '@keel/bus';
import type { inference } from '@keel/contracts';
import { type Context, context } from '@opentelemetry/api';
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';

export interface PublisherOptions {
  /** Sends one event; resolves once JetStream has acknowledged it. */
  publish: (event: inference.InferenceCompleted) => Promise<unknown>;
  logger: BusLogger;
  /** Events queued or being published at most; `enqueue` waits for space beyond that. */
  maxQueued: number;
  /** Events published at once; default 16. */
  concurrency?: number;
  /** The first retry's delay, doubling with jitter up to 5 s; default 100 ms. */
  retryDelayMs?: number;
}

interface Queued {
  event: inference.InferenceCompleted;
  /** The request's trace context, so the PRODUCER span joins the request's trace. */
  context: Context;
}

export class CompletedPublisher {
  private readonly waiting: Queued[] = [];
  private readonly unacknowledged = new Set<Queued>();
  private readonly spaceWaiters: Array<() => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private publishing = 0;
  /** open → flushing (stop() waits for the queue, still taking events) → stopped. */
  private state: 'open' | 'flushing' | 'stopped' = 'open';
  private readonly giveUp = new AbortController();
  private readonly retryPolicy;

  constructor(private readonly options: PublisherOptions) {
    this.retryPolicy = retry(handleAll, {
      maxAttempts: Infinity,
      backoff: new ExponentialBackoff({
        initialDelay: options.retryDelayMs ?? 100,
        maxDelay: 5_000,
      }),
      // A retry waiting when the process stops must not keep it alive.
    }).dangerouslyUnref();
  }

  /** Events not yet acknowledged. */
  get pending(): number {
    return this.unacknowledged.size;
  }

  /**
   * Queues `event`; resolves at once unless the queue is full, then as soon as it has room.
   * While stop() flushes, events still come in and are flushed with the rest (a call the server
   * cut off may finish then); once stop() has returned, an event is logged as not published.
   */
  async enqueue(event: inference.InferenceCompleted): Promise<void> {
    while (this.state !== 'stopped' && this.unacknowledged.size >= this.options.maxQueued) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.state === 'stopped') {
      this.options.logger.error(
        { inference_id: event.inferenceId },
        'InferenceCompleted arrived after the publisher stopped: not published',
      );
      return;
    }
    const queued = { event, context: context.active() };
    this.unacknowledged.add(queued);
    this.waiting.push(queued);
    this.pump();
  }

  /**
   * Waits until every queued event, and every event queued meanwhile, is acknowledged, for
   * `timeoutMs` at most; then logs the inference ids left and stops retrying them. Events
   * queued after it returns are not published.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.state = 'flushing';
    try {
      if (await this.flushed(timeoutMs)) return;
      const left = [...this.unacknowledged].map((queued) => queued.event.inferenceId);
      this.options.logger.error(
        { left: left.length, timeout_ms: timeoutMs, inference_ids: left.slice(0, 100) },
        'InferenceCompleted events not acknowledged before the stop timeout: not published',
      );
      this.giveUp.abort();
    } finally {
      this.state = 'stopped';
      // Callers waiting for room see the stop, instead of waiting for acks that never come.
      for (const wake of this.spaceWaiters.splice(0)) wake();
    }
  }

  /** Whether the queue emptied within `timeoutMs`. */
  private async flushed(timeoutMs: number): Promise<boolean> {
    if (this.unacknowledged.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.drainWaiters.push(() => resolve(true)));
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const flushed = await Promise.race([drained, expired]);
    clearTimeout(timer);
    return flushed;
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 16;
    while (this.publishing < concurrency && this.waiting.length > 0) {
      const queued = this.waiting.shift() as Queued;
      this.publishing++;
      void this.publishOne(queued).finally(() => {
        this.publishing--;
        this.unacknowledged.delete(queued);
        this.spaceWaiters.shift()?.();
        if (this.unacknowledged.size === 0) {
          for (const resolve of this.drainWaiters.splice(0)) resolve();
        }
        this.pump();
      });
    }
  }

  private async publishOne(queued: Queued): Promise<void> {
    const { event } = queued;
    try {
      await this.retryPolicy.execute(async ({ attempt }) => {
        try {
          await context.with(queued.context, () => this.options.publish(event));
        } catch (error) {
          this.logRetry(event, attempt + 1, error);
          throw error;
        }
      }, this.giveUp.signal);
    } catch {
      // Only once stop() gave up on it, which has logged it.
    }
  }

  /** Logs the 1st, 2nd, 4th, 8th... failure: a long outage shows without a line per retry. */
  private logRetry(event: inference.InferenceCompleted, failures: number, error: unknown): void {
    if ((failures & (failures - 1)) !== 0) return;
    this.options.logger.warn(
      { inference_id: event.inferenceId, failures, err: error },
      'InferenceCompleted not acknowledged; retrying',
    );
  }
}
