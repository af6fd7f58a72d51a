// A durable pull consumer: at most `concurrency` handlers at once, ack after the handler's
// write, redeliver a failure after a growing delay, and move what can never succeed (or still
// fails at its delivery limit) to the dead-letter stream before terminating it. It pulls
// only as many messages as it has free handlers (a pulled message's ack wait is running), tells
// the server a running handler is still working, and re-creates a durable that disappears.
import type { EventContract } from '@keel/contracts';
import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
  PubHeaders,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/nats-core';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { exponentialNakDelay, pause, restartDelay } from './backoff';
import { type BatchHandler, Batcher } from './batcher';
import {
  type DeadLetterReasonKind,
  ensureDeadLetterStream,
  publishDeadLetter,
} from './dead-letters';
import { PoisonMessageError } from './errors';
import type { BusLogger } from './logger';
import { type ConsumerInstruments, consumerInstruments } from './metrics';
import { busTracer, extractTraceContext } from './trace-context';

export interface ConsumeOptions<T> {
  /** The durable consumer's name; replicas sharing it share the work. */
  durable: string;
  handler: (message: T, delivery: Delivery) => Promise<void>;
  /** How long the server waits for an ack before redelivering; default 30 s. */
  ackWaitMs?: number;
  /**
   * Deliveries of one message at most: a failure on the last one dead-letters it. Default
   * unlimited: transient errors retry until they succeed. The bus counts, not the server, so
   * a message whose dead letter cannot be stored yet is still redelivered.
   */
  maxDeliver?: number;
  /** The redelivery delay after a failed delivery; default 200 ms doubling up to 30 s. */
  nakDelayMs?: (deliveryCount: number) => number;
  /** Handlers in flight at most; default 8. */
  concurrency?: number;
  /**
   * Messages delivered and not yet acked at most, across every replica sharing the durable;
   * default the server's. 1 makes one writer of whatever the handler writes, in stream order.
   */
  maxAckPending?: number;
}

export interface BatchConsumeOptions<T> extends Omit<ConsumeOptions<T>, 'handler' | 'concurrency'> {
  /**
   * Handles a batch and resolves with the items that failed (the others are acked); throwing
   * fails every item. Each failure is settled as a single handler's error would be.
   */
  handler: BatchHandler<T>;
  /** Messages in one batch at most; default 256. */
  maxBatch?: number;
  /**
   * Batches handled at once; default 1. With more, the handler must itself keep apart what
   * two batches may not do at once. As many messages as these batches hold, and as many
   * again, are pulled ahead.
   */
  concurrentBatches?: number;
  /** How long a batch that is not full waits for more messages when it could start; default 5 ms. */
  lingerMs?: number;
}

export interface Delivery {
  subject: string;
  streamSeq: number;
  /** 1 on the first delivery, 2 on the first redelivery... */
  deliveryCount: number;
  /** The producer's Nats-Msg-Id. */
  msgId: string | undefined;
}

export interface Subscription {
  /** Stops pulling, lets the handlers in flight finish (and ack), hands back the rest. */
  stop(): Promise<void>;
}

export interface ConsumerTarget {
  connection: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  logger: BusLogger;
  /** The bus prefix, which names the dead-letter stream. */
  prefix: string;
  stream: string;
  subject: string;
}

const DEFAULT_ACK_WAIT_MS = 30_000;
const DEFAULT_CONCURRENCY = 8;
const DEFAULT_MAX_BATCH = 256;
const DEFAULT_LINGER_MS = 5;
/** The server's default limit of messages delivered and not yet acked. */
const DEFAULT_MAX_ACK_PENDING = 1_000;
/** How long one pull request waits for messages before the next one replaces it. */
const PULL_EXPIRES_MS = 5_000;

export async function startConsumer<T>(
  target: ConsumerTarget,
  contract: EventContract<T>,
  options: ConsumeOptions<T>,
): Promise<Subscription> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const consumer = await openDurable(target, options);
  return new DurableConsumer(target, contract, options, concurrency, consumer);
}

/** A consumer whose handler takes batches (see Batcher). */
export async function startBatchConsumer<T>(
  target: ConsumerTarget,
  contract: EventContract<T>,
  options: BatchConsumeOptions<T>,
): Promise<Subscription> {
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const concurrency = options.concurrentBatches ?? 1;
  const batcher = new Batcher(
    options.handler,
    { maxBatch, concurrency, lingerMs: options.lingerMs ?? DEFAULT_LINGER_MS },
    target.subject,
  );
  const pulledAhead = (concurrency + 1) * maxBatch;
  return startConsumer(target, contract, {
    ...options,
    concurrency: pulledAhead,
    // The server would otherwise stop delivering at its default, below what is pulled ahead.
    maxAckPending: options.maxAckPending ?? Math.max(DEFAULT_MAX_ACK_PENDING, pulledAhead),
    handler: (message, delivery) => batcher.add({ message, delivery }),
  });
}

async function openDurable(
  target: ConsumerTarget,
  options: Pick<ConsumeOptions<unknown>, 'durable' | 'ackWaitMs' | 'maxAckPending'>,
): Promise<Consumer> {
  await ensureDeadLetterStream(target.jsm, target.prefix);
  await ensureDurable(target, options);
  return target.js.consumers.get(target.stream, options.durable);
}

/**
 * Creates the durable, or brings an existing one's settings up to date. The server's max
 * deliver stays unlimited: past it, the server would not redeliver a nak'ed message.
 */
async function ensureDurable(
  target: ConsumerTarget,
  options: Pick<ConsumeOptions<unknown>, 'durable' | 'ackWaitMs' | 'maxAckPending'>,
) {
  const { jsm, stream, subject } = target;
  const settings = {
    ack_wait: nanos(options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    max_deliver: -1,
    ...(options.maxAckPending === undefined ? {} : { max_ack_pending: options.maxAckPending }),
  };
  try {
    await jsm.consumers.info(stream, options.durable);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) {
      await jsm.consumers.add(stream, {
        durable_name: options.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
        ...settings,
      });
      return;
    }
    throw error;
  }
  await jsm.consumers.update(stream, options.durable, settings);
}

class DurableConsumer<T> implements Subscription {
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private markStopping!: () => void;
  private readonly stopRequested = new Promise<void>((resolve) => (this.markStopping = resolve));
  private batch: ConsumerMessages | null = null;
  private readonly pulled: Promise<void>;
  private readonly instruments: ConsumerInstruments = consumerInstruments();

  constructor(
    private readonly target: ConsumerTarget,
    private readonly contract: EventContract<T>,
    private readonly options: ConsumeOptions<T>,
    private readonly concurrency: number,
    private consumer: Consumer,
  ) {
    this.pulled = this.pull();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.markStopping();
    // The pull loop drains what the batch holds (handing it back), then ends.
    void this.batch?.close();
    await this.pulled;
    await Promise.all(this.inFlight);
  }

  /** Pulls for the free handlers until stopped; a pull that fails re-creates the durable. */
  private async pull(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      if (this.target.connection.isClosed()) {
        this.target.logger.error(this.fields(), 'consumer stopped: the NATS connection is closed');
        return;
      }
      try {
        await this.pullBatch();
        failures = 0;
      } catch (error) {
        if (this.stopping) return;
        failures += 1;
        this.target.logger.error(
          { ...this.fields(), attempt: failures, err: error },
          'consumer stopped pulling messages: re-creating the durable and resubscribing',
        );
        await pause(restartDelay(failures), this.stopRequested);
        await this.reopen();
      }
    }
  }

  /** One pull request for as many messages as there are free handlers; each starts at once. */
  private async pullBatch(): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.stopping) return;
    const batch = await this.consumer.fetch({
      max_messages: this.concurrency - this.inFlight.size,
      expires: PULL_EXPIRES_MS,
    });
    this.batch = batch;
    if (this.stopping) void batch.close();
    try {
      for await (const msg of batch) {
        if (this.stopping) {
          // Pulled but not started: hand it back now rather than after the ack wait.
          this.signal(msg, () => msg.nak());
          continue;
        }
        const task = this.process(msg).finally(() => this.inFlight.delete(task));
        this.inFlight.add(task);
      }
    } finally {
      this.batch = null;
    }
  }

  /** Re-creates the durable if it was deleted (handlers are idempotent: it starts over). */
  private async reopen(): Promise<void> {
    if (this.stopping || this.target.connection.isClosed()) return;
    try {
      this.consumer = await openDurable(this.target, this.options);
    } catch (error) {
      this.target.logger.error(
        { ...this.fields(), err: error },
        'could not re-create the durable: retrying',
      );
    }
  }

  private fields() {
    return { subject: this.target.subject, durable: this.options.durable };
  }

  private process(msg: JsMsg): Promise<void> {
    const delivery: Delivery = {
      subject: msg.subject,
      streamSeq: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      msgId: msg.headers?.get(PubHeaders.MsgIdHdr) || undefined,
    };
    const attributes = {
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.destination.name': msg.subject,
      'messaging.consumer.group.name': this.options.durable,
      ...(delivery.msgId ? { 'messaging.message.id': delivery.msgId } : {}),
    };
    return busTracer().startActiveSpan(
      `process ${this.target.subject}`,
      { kind: SpanKind.CONSUMER, attributes },
      extractTraceContext(msg.headers),
      async (span) => {
        const progress = this.reportProgress(msg);
        try {
          await this.settle(msg, delivery, span);
        } finally {
          clearInterval(progress);
          span.end();
        }
      },
    );
  }

  /** Resets the server's ack timer while the handler runs, so a slow handler is not redelivered. */
  private reportProgress(msg: JsMsg): NodeJS.Timeout {
    const ackWaitMs = this.options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    return setInterval(() => {
      if (!this.target.connection.isClosed()) this.signal(msg, () => msg.working());
    }, ackWaitMs / 2);
  }

  private async settle(msg: JsMsg, delivery: Delivery, span: Span): Promise<void> {
    const maxDeliver = this.maxDeliver();
    if (delivery.deliveryCount > maxDeliver) {
      // The last allowed delivery never settled: the handler crashed or hung, or its dead
      // letter could not be stored. Running it again could crash the consumer again.
      const reason = `delivery ${delivery.deliveryCount} is past the limit of ${maxDeliver}: no earlier delivery was acked`;
      await this.deadLetter(msg, delivery, 'delivery-limit', reason, span);
      return;
    }
    let message: T;
    try {
      message = this.contract.codec.decode(msg.data);
    } catch (error) {
      const reason = `payload does not decode as ${this.contract.domain}.${this.contract.event}: ${messageOf(error)}`;
      await this.deadLetter(msg, delivery, 'undecodable', reason, span);
      return;
    }
    try {
      await this.options.handler(message, delivery);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      if (error instanceof PoisonMessageError) {
        await this.deadLetter(msg, delivery, 'poison', error.message, span);
      } else if (delivery.deliveryCount >= maxDeliver) {
        const reason = `failed on delivery ${delivery.deliveryCount} of at most ${maxDeliver}: ${messageOf(error)}`;
        await this.deadLetter(msg, delivery, 'delivery-limit', reason, span);
      } else {
        this.redeliverLater(msg, delivery, error, span);
      }
      return;
    }
    if (this.target.connection.isClosed()) {
      // An ack cannot leave any more: say so now rather than after the ack's timeout.
      this.logAckFailure(delivery, span, new Error('the connection is closed'));
      return;
    }
    try {
      await msg.ackAck();
    } catch (error) {
      this.logAckFailure(delivery, span, error);
    }
  }

  private logAckFailure(delivery: Delivery, span: Span, error: unknown): void {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'ack failed' });
    this.target.logger.error(
      { ...this.fieldsOf(delivery), err: error },
      'ack failed: the message will be redelivered',
    );
  }

  /** The deliveries a message gets; Infinity when unlimited. */
  private maxDeliver(): number {
    const maxDeliver = this.options.maxDeliver ?? -1;
    return maxDeliver > 0 ? maxDeliver : Infinity;
  }

  /**
   * Stores the message as a dead letter, and only once JetStream has it, terminates the
   * original. If the dead letter cannot be stored, the original is redelivered later.
   */
  private async deadLetter(
    msg: JsMsg,
    delivery: Delivery,
    reasonKind: DeadLetterReasonKind,
    reason: string,
    span: Span,
  ): Promise<void> {
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    const { durable } = this.options;
    let deadLetterSeq: number;
    try {
      deadLetterSeq = await publishDeadLetter(this.target.js, this.target.prefix, msg, {
        durable,
        reasonKind,
        reason,
      });
    } catch (error) {
      const delayMs = this.nakDelay(delivery);
      this.signal(msg, () => msg.nak(delayMs));
      this.instruments.redeliveries.add(1, this.metricAttributes());
      this.target.logger.error(
        { ...this.fieldsOf(delivery), reason, delay_ms: delayMs, err: error },
        'could not store the dead letter: the message will be redelivered',
      );
      return;
    }
    // No reason on the wire: servers before 2.11 ignore a "+TERM <reason>" and redeliver.
    this.signal(msg, () => msg.term());
    this.instruments.deadLetters.add(1, {
      ...this.metricAttributes(),
      'keel.dead_letter.reason_kind': reasonKind,
    });
    this.target.logger.warn(
      {
        ...this.fieldsOf(delivery),
        reason_kind: reasonKind,
        reason,
        dead_letter_seq: deadLetterSeq,
      },
      'message moved to the dead-letter stream',
    );
  }

  private redeliverLater(msg: JsMsg, delivery: Delivery, error: unknown, span: Span): void {
    span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
    const delayMs = this.nakDelay(delivery);
    this.signal(msg, () => msg.nak(delayMs));
    this.instruments.redeliveries.add(1, this.metricAttributes());
    this.target.logger.warn(
      { ...this.fieldsOf(delivery), delay_ms: delayMs, err: error },
      'handler failed: the message will be redelivered',
    );
  }

  private nakDelay(delivery: Delivery): number {
    return (this.options.nakDelayMs ?? exponentialNakDelay)(delivery.deliveryCount);
  }

  private metricAttributes() {
    return {
      'messaging.consumer.group.name': this.options.durable,
      'messaging.destination.name': this.target.subject,
    };
  }

  /** Sends an ack-protocol reply; a closed connection makes the server redeliver anyway. */
  private signal(msg: JsMsg, send: () => void): void {
    try {
      send();
    } catch (error) {
      this.target.logger.error(
        { subject: msg.subject, seq: msg.seq, durable: this.options.durable, err: error },
        'could not reply to the server: the message will be redelivered after the ack wait',
      );
    }
  }

  private fieldsOf(delivery: Delivery) {
    return {
      subject: delivery.subject,
      seq: delivery.streamSeq,
      durable: this.options.durable,
      delivery_count: delivery.deliveryCount,
      msg_id: delivery.msgId,
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
