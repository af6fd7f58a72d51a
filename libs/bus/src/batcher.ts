// Hands a durable consumer's messages to a handler in batches, at most `concurrency` batches at
// a time: a batch starts once one ends, with every message that arrived meanwhile (at most
// `maxBatch`), so batches grow with the load; a batch that is not full when a handler is free
// waits `lingerMs` for the messages arriving with it (one pull delivers them within
// microseconds of each other).
import {
  type Link,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
} from '@opentelemetry/api';
import type { Delivery } from './consumer';
import { busTracer } from './trace-context';

export interface BatchItem<T> {
  message: T;
  delivery: Delivery;
}

/** The items of a batch that failed, with their error: the bus settles each as a handler error. */
export type BatchFailures<T> = ReadonlyMap<BatchItem<T>, unknown>;

export type BatchHandler<T> = (items: BatchItem<T>[]) => Promise<BatchFailures<T> | void>;

interface Waiting<T> {
  item: BatchItem<T>;
  link: Link | null;
  settle: (error?: unknown) => void;
}

export interface BatcherOptions {
  maxBatch: number;
  /** Batches handled at once. */
  concurrency: number;
  lingerMs: number;
}

export class Batcher<T> {
  private waiting: Waiting<T>[] = [];
  private running = 0;
  private linger: NodeJS.Timeout | null = null;

  constructor(
    private readonly handler: BatchHandler<T>,
    private readonly options: BatcherOptions,
    private readonly subject: string,
  ) {
    for (const name of ['maxBatch', 'concurrency'] as const) {
      const value = options[name];
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
      }
    }
  }

  /** Resolves once the item's batch succeeded for it; rejects with the item's failure. */
  add(item: BatchItem<T>): Promise<void> {
    const spanContext = trace.getSpanContext(context.active());
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({
        item,
        link: spanContext ? { context: spanContext } : null,
        settle: (error?: unknown) => (error === undefined ? resolve() : reject(error)),
      });
      if (this.waiting.length >= this.options.maxBatch || this.options.lingerMs <= 0) {
        this.startBatches();
      } else {
        this.linger ??= setTimeout(() => this.startBatches(), this.options.lingerMs);
      }
    });
  }

  private startBatches(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      this.running += 1;
      const batch = this.waiting.splice(0, this.options.maxBatch);
      void this.run(batch).finally(() => {
        this.running -= 1;
        // What arrived during the batch has waited already.
        this.startBatches();
      });
    }
  }

  /** Runs the handler in a span of its own, linked to each message's span. */
  private run(batch: Waiting<T>[]): Promise<void> {
    const links = batch.flatMap((waiting) => (waiting.link ? [waiting.link] : []));
    return busTracer().startActiveSpan(
      `process ${this.subject} batch`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: { 'messaging.batch.message_count': batch.length },
      },
      ROOT_CONTEXT,
      async (span) => {
        try {
          const failures = await this.handler(batch.map((waiting) => waiting.item));
          for (const waiting of batch) waiting.settle(failures?.get(waiting.item));
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          for (const waiting of batch) waiting.settle(error ?? new Error('batch failed'));
        } finally {
          span.end();
        }
      },
    );
  }
}
