// The evaluation consumer's throughput: N synthetic InferenceCompleted events published while
// the evaluation service is stopped, then the service (a real process) started on them with
// its cheap default evaluators (non_empty@1, length@1); events per second from its first ack to
// its last, and the CPU the service, FerretDB (the store) and NATS spent per event in that
// window, from /proc. At the end, each inference must have exactly one evaluation and one
// recorded outcome per evaluator.
//   npm run bench:evaluation [-- --events 5000 --concurrency 8 --profile <dir>]
// With --profile, the evaluation process is CPU-profiled over the measured window
// (test/bench/profile-summary.ts reads the file).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectBus } from '@keel/bus';
import { common, durableNameOf, events, inference, router, streamOf } from '@keel/contracts';
import { startLocalServers } from '@keel/local';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { eventually } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { type Cluster, startCluster } from '../support/cluster';
import { cpuMsOf, cpuMsOfAll, pidsNamed } from './proc-stats';

const { INFERENCE_STATUS_OK: OK } = inference.InferenceStatus;
const DURABLE = durableNameOf('evaluation', events.inferenceCompleted);
const EVALUATORS_PER_EVENT = 2;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '8' },
      profile: { type: 'string' },
    },
  });
  const count = Number(values.events);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-eval-bench-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  try {
    await bench(count, Number(values.concurrency), values.profile && path.resolve(values.profile));
  } finally {
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function bench(count: number, concurrency: number, profileDir?: string): Promise<void> {
  const cluster = await startCluster([]);
  const bus = await connectBus({
    servers: process.env.NATS_URL!,
    name: 'evaluation-bench',
    prefix: cluster.prefix,
    logger: pino({ level: 'silent' }),
  });
  try {
    await bus.ensureStreams(['inference', 'evaluation']);
    // A policy snapshot whose functions configure no evaluator: the defaults run.
    const snapshot = router.PolicySnapshot.fromPartial({ catalog: { version: 1n } });
    const buckets = await openSnapshotBuckets(bus);
    await buckets.policy.put(SNAPSHOT_KEY, router.PolicySnapshot.encode(snapshot).finish());
    await buckets.keys.put(
      SNAPSHOT_KEY,
      router.KeysSnapshot.encode(router.KeysSnapshot.create()).finish(),
    );

    const tenantId = 'bench-tenant';
    let lastSeq = 0;
    for (let i = 0; i < count; i += 500) {
      const acks = Array.from({ length: Math.min(500, count - i) }, (_, j) => {
        const event = syntheticEvent(tenantId, i + j);
        return bus.publish(events.inferenceCompleted, event, { msgId: event.inferenceId });
      });
      for (const { seq } of await Promise.all(acks)) lastSeq = Math.max(lastSeq, seq);
    }
    console.error(`published ${count} events`);

    await cluster.start('evaluation', {
      KEEL_EVALUATION_CONCURRENCY: String(concurrency),
      ...profilingEnv(profileDir),
    });
    const evaluationPid = cluster.pid('evaluation')!;
    const storePids = pidsNamed(['ferretdb', 'mongod']);
    const natsPids = pidsNamed(['nats-server']);
    const jsm = await jetstreamManager(bus.connection);
    const ackFloor = async () =>
      (await jsm.consumers.info(streamOf('inference', cluster.prefix).name, DURABLE)).ack_floor
        .stream_seq;

    const firstFloor = await eventually(async () => (await ackFloor()) > 0 && ackFloor(), {
      what: 'the first ack',
      timeoutMs: 60_000,
      intervalMs: 5,
    });
    if (profileDir) cluster.signal('evaluation', 'SIGUSR2');
    const start = {
      at: performance.now(),
      evaluation: cpuMsOf(evaluationPid),
      store: cpuMsOfAll(storePids),
      nats: cpuMsOfAll(natsPids),
    };
    await eventually(async () => (await ackFloor()) >= lastSeq, {
      what: 'every event acked',
      timeoutMs: 3_600_000,
      intervalMs: 20,
    });
    const seconds = (performance.now() - start.at) / 1000;
    if (profileDir) await profileWritten(cluster, profileDir);
    const handled = lastSeq - firstFloor;
    const perEvent = (ms: number) => `${((ms * 1000) / handled).toFixed(0)} µs`;

    const db = cluster.db('evaluation');
    const evaluations = await db.collection('evaluations').countDocuments({ tenant_id: tenantId });
    const outcomes = await db
      .collection('evaluator_outcomes')
      .countDocuments({ tenant_id: tenantId, outcome: 'run' });
    console.log(`evaluation consumer: ${count} events, concurrency ${concurrency}`);
    console.log(
      `  ${handled} events in ${seconds.toFixed(2)} s: ${(handled / seconds).toFixed(0)} events/s`,
    );
    console.log(
      `  evaluation CPU per event: ${perEvent(cpuMsOf(evaluationPid) - start.evaluation)}`,
    );
    console.log(
      `  store (FerretDB) CPU per event: ${perEvent(cpuMsOfAll(storePids) - start.store)}`,
    );
    console.log(`  NATS CPU per event: ${perEvent(cpuMsOfAll(natsPids) - start.nats)}`);
    console.log(
      `  exactly once: ${evaluations} evaluations and ${outcomes} runs recorded for ${count * EVALUATORS_PER_EVENT} expected`,
    );
    if (evaluations !== count * EVALUATORS_PER_EVENT || outcomes !== evaluations) {
      throw new Error('the evaluations or runs recorded are not one per event and evaluator');
    }
  } finally {
    await bus.drain();
    await cluster.shutdown();
  }
}

/** The preload that profiles the evaluation process between two SIGUSR2s. */
function profilingEnv(dir: string | undefined): NodeJS.ProcessEnv {
  if (!dir) return {};
  fs.mkdirSync(dir, { recursive: true });
  return {
    NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile-preload.js')}`,
    KEEL_CPU_PROFILE_DIR: dir,
  };
}

async function profileWritten(cluster: Cluster, dir: string): Promise<void> {
  const before = fs.readdirSync(dir).length;
  cluster.signal('evaluation', 'SIGUSR2');
  await eventually(() => fs.readdirSync(dir).length > before, {
    what: 'the CPU profile to be written',
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  console.error(`profile: ${fs.readdirSync(dir).sort().at(-1)} in ${dir}`);
}

function syntheticEvent(tenantId: string, i: number): inference.InferenceCompleted {
  return inference.InferenceCompleted.fromPartial({
    inferenceId: randomUUID(),
    tenantId,
    functionName: 'support.answer',
    variantName: 'v1',
    model: 'sim-small',
    attempts: [{ model: 'sim-small', provider: 'sim', status: OK }],
    status: OK,
    inputMessages: [
      common.ChatMessage.fromPartial({
        role: common.MessageRole.MESSAGE_ROLE_USER,
        content: `Where is my order ${i}?`,
      }),
    ],
    outputText: i % 10 === 0 ? '' : `Your order ${i} ships on Monday, tracking by email.`,
    occurredAt: new Date(),
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
