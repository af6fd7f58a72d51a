// The feedback service on the real NATS and Mongo servers, started in-process as main.ts would
// start it, with the keys snapshot a router would publish; each deployment has its own bus
// prefix and database. Completed inferences are published on the bus as inference publishes them.
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { loadConfig } from '@keel/config';
import {
  durableNameOf,
  events,
  feedback,
  inference,
  router,
  streamOf,
  subjectOf,
} from '@keel/contracts';
import { type IssuedKey, call, issueKey } from '@keel/kit';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { type Store, connectStore } from '@keel/store';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { type FeedbackApp, startFeedback } from './app';
import { configShape } from './config';
import type { FeedbackDocument } from './store/feedback';

export const { API_KEY_SCOPE_FEEDBACK: FEEDBACK, API_KEY_SCOPE_ANALYTICS: ANALYTICS } =
  router.ApiKeyScope;

export type TestKey = IssuedKey;

export function testKey(tenantId: string, scopes: router.ApiKeyScope[]): TestKey {
  return issueKey(tenantId, scopes);
}

export function completed(
  fields: Partial<inference.InferenceCompleted> & { tenantId: string },
): inference.InferenceCompleted {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inf'),
    functionName: 'support.answer',
    variantName: 'default',
    model: 'sim-small',
    status: inference.InferenceStatus.INFERENCE_STATUS_OK,
    outputText: 'Your order ships on Monday.',
    occurredAt: new Date(),
    ...fields,
  });
}

/** A FeedbackRecorded as it sits in the stream. */
export interface RecordedMessage {
  msgId: string | undefined;
  message: feedback.FeedbackRecorded;
}

export class FeedbackDeployment {
  readonly client: feedback.FeedbackServiceClient;

  private constructor(
    readonly app: FeedbackApp,
    readonly prefix: string,
    readonly bus: Bus,
    readonly store: Store,
  ) {
    this.client = new feedback.FeedbackServiceClient(
      `127.0.0.1:${app.port}`,
      grpc.credentials.createInsecure(),
    );
  }

  /** Starts the service with these keys already in the keys snapshot. */
  static async start(keys: TestKey[]): Promise<FeedbackDeployment> {
    const prefix = uniqueName('fb');
    const { natsUrl, mongoUrl } = testServers();
    const logger = pino({ level: 'silent' });
    const bus = await connectBus({ servers: natsUrl, name: 'feedback-test', prefix, logger });
    await bus.ensureStreams(['inference', 'feedback']);
    const buckets = await openSnapshotBuckets(bus);
    const snapshot = router.KeysSnapshot.fromPartial({ keys: keys.map((key) => key.record) });
    await buckets.keys.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(snapshot).finish());
    const config = loadConfig(configShape, {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      KEEL_BUS_PREFIX: prefix,
      KEEL_DB_PREFIX: prefix,
      KEEL_BIND_HOST: '127.0.0.1',
      KEEL_FEEDBACK_PORT: '0',
      KEEL_FEEDBACK_ACK_WAIT_MS: '1000',
    });
    const app = await startFeedback(config, logger);
    const store = await connectStore({ url: mongoUrl, dbPrefix: prefix, service: 'feedback' });
    return new FeedbackDeployment(app, prefix, bus, store);
  }

  submit(
    token: string,
    request: Partial<feedback.SubmitRequest>,
  ): Promise<feedback.SubmitResponse> {
    return call(token, (metadata, callback) =>
      this.client.submit(feedback.SubmitRequest.fromPartial(request), metadata, callback),
    );
  }

  list(
    token: string,
    request: Partial<feedback.ListFeedbackRequest>,
  ): Promise<feedback.ListFeedbackResponse> {
    return call(token, (metadata, callback) =>
      this.client.listFeedback(
        feedback.ListFeedbackRequest.fromPartial(request),
        metadata,
        callback,
      ),
    );
  }

  /** Publishes the event as inference does; resolves with its stream sequence. */
  async publish(event: inference.InferenceCompleted): Promise<number> {
    const { seq } = await this.bus.publish(events.inferenceCompleted, event, {
      msgId: event.inferenceId,
    });
    return seq;
  }

  /** Resolves once feedback has settled (acked or terminated) every event up to `seq`. */
  async consumedThrough(seq: number): Promise<void> {
    const jsm = await jetstreamManager(this.bus.connection);
    const durable = durableNameOf('feedback', events.inferenceCompleted);
    await eventually(
      async () => {
        const info = await jsm.consumers.info(streamOf('inference', this.prefix).name, durable);
        return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0;
      },
      { what: `feedback to consume inference event ${seq}` },
    );
  }

  /** Publishes the events and waits until feedback has consumed them. */
  async completeAll(...completedEvents: inference.InferenceCompleted[]): Promise<void> {
    let last = 0;
    for (const event of completedEvents) last = await this.publish(event);
    await this.consumedThrough(last);
  }

  /** Every FeedbackRecorded in the feedback stream, in order. */
  async recorded(): Promise<RecordedMessage[]> {
    const jsm = await jetstreamManager(this.bus.connection);
    const stream = streamOf('feedback', this.prefix).name;
    const subject = subjectOf(events.feedbackRecorded, this.prefix);
    const info = await jsm.streams.info(stream);
    const messages: RecordedMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
      const stored = await jsm.streams.getMessage(stream, { seq });
      if (stored?.subject !== subject) continue;
      messages.push({
        msgId: stored.header.get('Nats-Msg-Id') || undefined,
        message: feedback.FeedbackRecorded.decode(stored.data),
      });
    }
    return messages;
  }

  feedbackDocuments(filter: Partial<FeedbackDocument>): Promise<FeedbackDocument[]> {
    return this.store.collection<FeedbackDocument>('feedback').find(filter).toArray();
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.app.stop();
    await this.bus.drain();
    await this.store.db.dropDatabase();
    await this.store.close();
  }
}
