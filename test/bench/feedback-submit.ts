// What feedback costs: how fast the service learns owners from InferenceCompleted, Submit's
// latency and throughput over real gRPC (each one stored and its FeedbackRecorded published
// before the answer), and how long after an inference's event its feedback is first accepted.
// The feedback service runs in-process on the servers at NATS_URL and MONGO_URL, under a bus
// and database prefix of its own, removed at the end. Every count is checked.
//   npm run bench:feedback [-- --inferences 2000 --concurrency 16 --window-samples 50]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { connectBus } from '@keel/bus';
import { durableNameOf, events, feedback, inference, router, streamOf } from '@keel/contracts';
import { call, newApiKey } from '@keel/kit';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { jetstreamManager } from '@nats-io/jetstream';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { loadConfig } from '../../libs/config/src';
import { startFeedback } from '../../services/feedback/src/app';
import { configShape } from '../../services/feedback/src/config';

const { values } = parseArgs({
  options: {
    inferences: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    'window-samples': { type: 'string', default: '50' },
  },
});
const total = Number(values.inferences);
const concurrency = Number(values.concurrency);
const windowSamples = Number(values['window-samples']);
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function summary(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return `p50 ${ms(percentile(sorted, 0.5))}, p95 ${ms(percentile(sorted, 0.95))}, p99 ${ms(percentile(sorted, 0.99))}`;
}

async function main(): Promise<void> {
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const logger = pino({ level: 'silent' });
  const bus = await connectBus({ servers: natsUrl, name: 'feedback-bench', prefix, logger });
  const jsm = await jetstreamManager(bus.connection);
  const mongo = await MongoClient.connect(mongoUrl);
  const tenantId = 'acme';
  const key = newApiKey();
  await bus.ensureStreams(['inference', 'feedback']);
  const buckets = await openSnapshotBuckets(bus);
  const keys = router.KeysSnapshot.fromPartial({
    keys: [
      {
        keyId: key.keyId,
        tenantId,
        secretSha256: key.secretSha256,
        scopes: [router.ApiKeyScope.API_KEY_SCOPE_FEEDBACK],
      },
    ],
  });
  await buckets.keys.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(keys).finish());
  const app = await startFeedback(
    loadConfig(configShape, {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      KEEL_BUS_PREFIX: prefix,
      KEEL_DB_PREFIX: prefix,
      KEEL_BIND_HOST: '127.0.0.1',
      KEEL_FEEDBACK_PORT: '0',
      LOG_LEVEL: 'silent',
    }),
    logger,
  );
  const client = new feedback.FeedbackServiceClient(
    `127.0.0.1:${app.port}`,
    credentials.createInsecure(),
  );
  const submit = (request: Partial<feedback.SubmitRequest>) =>
    call<feedback.SubmitResponse>(key.token, (metadata, callback) =>
      client.submit(feedback.SubmitRequest.fromPartial(request), metadata, callback),
    );
  const completed = (inferenceId: string) =>
    inference.InferenceCompleted.fromPartial({
      inferenceId,
      tenantId,
      functionName: 'support.answer',
      variantName: 'default',
      status: inference.InferenceStatus.INFERENCE_STATUS_OK,
      occurredAt: new Date(),
    });
  const consumedThrough = async (seq: number) => {
    const durable = durableNameOf('feedback', events.inferenceCompleted);
    for (;;) {
      const info = await jsm.consumers.info(streamOf('inference', prefix).name, durable);
      if (info.ack_floor.stream_seq >= seq) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  try {
    // Owners: publish every event, then time until the consumer has acked the last.
    const ids = Array.from({ length: total }, (_, i) => `inf-${i}`);
    const published = performance.now();
    let last = 0;
    for (let i = 0; i < ids.length; i += 100) {
      const acks = await Promise.all(
        ids
          .slice(i, i + 100)
          .map((id) => bus.publish(events.inferenceCompleted, completed(id), { msgId: id })),
      );
      last = acks.at(-1)!.seq;
    }
    await consumedThrough(last);
    const ownersMs = performance.now() - published;
    console.log(
      `owners: ${total} InferenceCompleted published and consumed in ${ownersMs.toFixed(0)} ms ` +
        `(${((total / ownersMs) * 1000).toFixed(0)} events/s)`,
    );

    // Submit: `concurrency` callers, one submission per inference.
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          const t0 = performance.now();
          await submit({ inferenceId: id, rating: 4, idempotencyKey: `k-${id}` });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const submitMs = performance.now() - started;
    console.log(
      `Submit: ${total} at concurrency ${concurrency} in ${submitMs.toFixed(0)} ms ` +
        `(${((total / submitMs) * 1000).toFixed(0)}/s); ${summary(latencies)}`,
    );

    // The window: publish one inference's event, then retry Submit every 5 ms until accepted.
    const windows: number[] = [];
    for (let i = 0; i < windowSamples; i++) {
      const id = `late-${i}`;
      const t0 = performance.now();
      await bus.publish(events.inferenceCompleted, completed(id), { msgId: id });
      for (;;) {
        try {
          await submit({ inferenceId: id, thumbsUp: true, idempotencyKey: `k-${id}` });
          break;
        } catch (error) {
          if ((error as ServiceError).code !== status.NOT_FOUND) throw error;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      windows.push(performance.now() - t0);
    }
    console.log(
      `event published → feedback accepted (${windowSamples} samples): ${summary(windows)}`,
    );

    const stored = await mongo.db(`${prefix}_feedback`).collection('feedback').countDocuments();
    const info = await jsm.streams.info(streamOf('feedback', prefix).name);
    const expected = total + windowSamples;
    console.log(`checked: ${stored} feedback documents, ${info.state.messages} FeedbackRecorded`);
    if (stored !== expected || info.state.messages !== expected) {
      throw new Error(`expected ${expected} of each`);
    }
  } finally {
    client.close();
    await app.stop();
    await mongo.db(`${prefix}_feedback`).dropDatabase();
    // The streams, KV buckets and dead letters under the prefix.
    for await (const name of jsm.streams.names()) {
      if (name.toLowerCase().includes(prefix)) await jsm.streams.delete(name);
    }
    await mongo.close();
    await bus.drain();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
