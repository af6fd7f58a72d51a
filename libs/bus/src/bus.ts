// The bus: events published once (Nats-Msg-Id) with their trace context, durable consumers,
// and KV buckets, over one NATS connection.
import { type Domain, type EventContract, streamOf, subjectOf } from '@keel/contracts';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type NatsConnection, headers } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, context } from '@opentelemetry/api';
import {
  type BatchConsumeOptions,
  type ConsumeOptions,
  type ConsumerTarget,
  type Subscription,
  startBatchConsumer,
  startConsumer,
} from './consumer';
import { DeadLetters } from './dead-letters';
import { KvBucket } from './kv';
import type { BusLogger } from './logger';
import { ensureStream } from './streams';
import { busTracer, injectTraceContext } from './trace-context';

export interface BusOptions {
  /** Comma-separated NATS URLs. */
  servers: string;
  /** The connection's name, shown by the server (the service's name). */
  name: string;
  /** Prefixes every subject, stream and durable's stream (see subjectOf, streamOf). */
  prefix: string;
  logger: BusLogger;
}

export async function connectBus(options: BusOptions): Promise<Bus> {
  const connection: NatsConnection = await connect({
    servers: options.servers.split(',').map((server) => server.trim()),
    name: options.name,
    // A service outlives NATS restarts: reconnect for as long as it runs.
    maxReconnectAttempts: -1,
    // Otherwise every request (each JetStream publish) builds an Error for its stack up front,
    // a cost on every event published, for a stack that only a timed-out request would show.
    noAsyncTraces: true,
  });
  try {
    const manager = await jetstreamManager(connection);
    return new Bus(connection, manager, options.prefix, options.logger);
  } catch (error) {
    await connection.close();
    throw error;
  }
}

export class Bus {
  private readonly js: JetStreamClient;
  private readonly kvm: Kvm;
  private readonly subscriptions = new Set<Subscription>();
  /** What the consumers under this prefix could never handle: list and replay. */
  readonly deadLetters: DeadLetters;

  constructor(
    readonly connection: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly prefix: string,
    private readonly logger: BusLogger,
  ) {
    this.js = jetstream(connection);
    this.kvm = new Kvm(this.js);
    this.deadLetters = new DeadLetters(this.js, jsm, prefix);
    void this.logStatus();
  }

  /** Creates each domain's stream, or updates its settings to those of the contract. */
  async ensureStreams(domains: Domain[]): Promise<void> {
    for (const domain of domains) {
      await ensureStream(this.jsm, streamOf(domain, this.prefix));
    }
  }

  /**
   * Publishes one event. JetStream drops a second message with the same `msgId` within the
   * stream's duplicate window and answers `duplicate: true`.
   */
  async publish<T>(
    contract: EventContract<T>,
    message: T,
    options: { msgId: string },
  ): Promise<{ seq: number; duplicate: boolean }> {
    const subject = subjectOf(contract, this.prefix);
    const attributes = {
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.destination.name': subject,
      'messaging.message.id': options.msgId,
    };
    return busTracer().startActiveSpan(
      `publish ${subject}`,
      { kind: SpanKind.PRODUCER, attributes },
      async (span) => {
        try {
          const messageHeaders = headers();
          injectTraceContext(context.active(), messageHeaders);
          const ack = await this.js.publish(subject, contract.codec.encode(message).finish(), {
            msgID: options.msgId,
            headers: messageHeaders,
          });
          return { seq: ack.seq, duplicate: ack.duplicate };
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** Starts a durable pull consumer of one event (see ConsumeOptions). */
  consume<T>(contract: EventContract<T>, options: ConsumeOptions<T>): Promise<Subscription> {
    return this.track(startConsumer(this.targetOf(contract), contract, options));
  }

  /** Starts a durable pull consumer that hands its handler batches (see BatchConsumeOptions). */
  consumeBatch<T>(
    contract: EventContract<T>,
    options: BatchConsumeOptions<T>,
  ): Promise<Subscription> {
    return this.track(startBatchConsumer(this.targetOf(contract), contract, options));
  }

  private targetOf<T>(contract: EventContract<T>): ConsumerTarget {
    return {
      connection: this.connection,
      js: this.js,
      jsm: this.jsm,
      logger: this.logger,
      prefix: this.prefix,
      stream: streamOf(contract.domain as Domain, this.prefix).name,
      subject: subjectOf(contract, this.prefix),
    };
  }

  /** Stopped by drain(). */
  private async track(starting: Promise<Subscription>): Promise<Subscription> {
    const started = await starting;
    const subscription: Subscription = {
      stop: async () => {
        this.subscriptions.delete(subscription);
        await started.stop();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Opens the bucket, creating it first if needed. `history` and `ttlMs` apply only when this
   * call creates the bucket: an existing bucket keeps the settings it was created with.
   */
  async kv(bucket: string, options: { history?: number; ttlMs?: number } = {}): Promise<KvBucket> {
    const kv = await this.kvm.create(bucket, {
      ...(options.history !== undefined ? { history: options.history } : {}),
      ...(options.ttlMs !== undefined ? { ttl: options.ttlMs } : {}),
    });
    return new KvBucket(bucket, kv, this.logger);
  }

  /** Stops the consumers (their handlers in flight finish and ack), then drains the connection. */
  async drain(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (!this.connection.isClosed()) await this.connection.drain();
  }

  private async logStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect' || status.type === 'error') {
        this.logger.warn({ nats_status: status }, 'NATS connection trouble');
      } else if (status.type === 'reconnect') {
        this.logger.info({ nats_status: status }, 'NATS connection restored');
      }
    }
  }
}
