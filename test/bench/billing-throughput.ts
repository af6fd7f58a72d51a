// The billing consumer's sustained throughput: N InferenceCompleted events (4 tenants × 5
// functions, each inference one provider call) published to a fresh stream prefix while billing
// is stopped, then the billing service (a real process) started on them; events per second from
// its first ack to its last, and the CPU billing and the store spent per event in that window,
// from /proc. The store is a FerretDB (SQLite) of the benchmark's own, so its CPU is billing's
// alone. At the end the ledger must hold exactly one entry per event and the rollups must sum
// to the ledger.
//   npm run bench:billing [-- --events 20000 --max-batch 500 --profile <dir>]
// With --profile, the billing process is CPU-profiled over the measured window
// (test/bench/profile-summary.ts reads the file).
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectBus } from '@keel/bus';
import { builtinCatalog } from '@keel/catalog';
import { durableNameOf, events, inference, router, streamOf } from '@keel/contracts';
import { findOnPath, freePort, stopProcess } from '@keel/local';
import { SNAPSHOT_KEY, catalogVersionKey, openSnapshotBuckets } from '@keel/snapshots';
import { eventually } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { type Cluster, startCluster } from '../support/cluster';
import { cpuMsOf } from './proc-stats';

const { INFERENCE_STATUS_OK: OK } = inference.InferenceStatus;
const DURABLE = durableNameOf('billing', events.inferenceCompleted);
const FERRETDB = path.join(os.homedir(), '.cache/keel/bin/ferretdb-v1.24.2');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '20000' },
      'max-batch': { type: 'string', default: '500' },
      profile: { type: 'string' },
    },
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-billing-bench-'));
  const store = await startFerretDb(dataDir);
  process.env.MONGO_URL = store.url;
  process.env.NATS_URL ??= 'nats://127.0.0.1:4222';
  try {
    const profileDir = values.profile && path.resolve(values.profile);
    await bench(Number(values.events), Number(values['max-batch']), store.pid, profileDir);
  } finally {
    await stopProcess(store.process);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A FerretDB (SQLite) on a free port, for this benchmark alone. */
async function startFerretDb(dataDir: string) {
  const binary = findOnPath('ferretdb') ?? FERRETDB;
  if (!fs.existsSync(binary)) throw new Error(`no FerretDB at ${binary}: run \`npm start\` once`);
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--state-dir=${dataDir}`,
      '--telemetry=disable',
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--log-level=WARN',
    ],
    { stdio: 'ignore' },
  );
  const url = `mongodb://127.0.0.1:${port}`;
  await eventually(
    async () => {
      const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 500 });
      await client.close();
      return true;
    },
    { what: 'FerretDB to answer', timeoutMs: 30_000, intervalMs: 200 },
  );
  return { url, pid: child.pid!, process: child };
}

async function bench(
  count: number,
  maxBatch: number,
  storePid: number,
  profileDir?: string,
): Promise<void> {
  const cluster = await startCluster([]);
  const bus = await connectBus({
    servers: process.env.NATS_URL!,
    name: 'billing-bench',
    prefix: cluster.prefix,
    logger: pino({ level: 'silent' }),
  });
  try {
    await bus.ensureStreams(['inference', 'billing']);
    const buckets = await openSnapshotBuckets(bus);
    await buckets.catalog.put(
      catalogVersionKey(1n),
      router.ModelCatalog.encode(builtinCatalog(1n)).finish(),
    );
    await buckets.keys.put(
      SNAPSHOT_KEY,
      router.KeysSnapshot.encode(router.KeysSnapshot.create()).finish(),
    );

    let lastSeq = 0;
    for (let i = 0; i < count; i += 500) {
      const acks = Array.from({ length: Math.min(500, count - i) }, (_, j) => {
        const event = syntheticEvent(i + j);
        return bus.publish(events.inferenceCompleted, event, { msgId: event.inferenceId });
      });
      for (const { seq } of await Promise.all(acks)) lastSeq = Math.max(lastSeq, seq);
    }
    console.error(`published ${count} events`);

    await cluster.start('billing', {
      KEEL_BILLING_MAX_BATCH: String(maxBatch),
      ...profilingEnv(profileDir),
    });
    const billingPid = cluster.pid('billing')!;
    const jsm = await jetstreamManager(bus.connection);
    const ackFloor = async () =>
      (await jsm.consumers.info(streamOf('inference', cluster.prefix).name, DURABLE)).ack_floor
        .stream_seq;
    const firstFloor = await eventually(async () => (await ackFloor()) > 0 && ackFloor(), {
      what: 'the first ack',
      timeoutMs: 60_000,
      intervalMs: 5,
    });
    if (profileDir) cluster.signal('billing', 'SIGUSR2');
    const start = {
      at: performance.now(),
      billing: cpuMsOf(billingPid),
      store: cpuMsOf(storePid),
    };
    await eventually(async () => (await ackFloor()) >= lastSeq, {
      what: 'every event acked',
      timeoutMs: 3_600_000,
      intervalMs: 20,
    });
    const seconds = (performance.now() - start.at) / 1000;
    const billingMs = cpuMsOf(billingPid) - start.billing;
    const storeMs = cpuMsOf(storePid) - start.store;
    if (profileDir) await profileWritten(cluster, profileDir);
    const handled = lastSeq - firstFloor;
    const perEvent = (ms: number) => (ms * 1000) / handled;

    const db = cluster.db('billing');
    const entries = await db.collection('ledger').countDocuments();
    let rolledUp = 0n;
    for await (const rollup of db.collection('usage_rollups').find({})) {
      rolledUp += BigInt(rollup.inferences);
    }
    const rate = handled / seconds;
    console.log(`billing consumer: ${count} events, batches of at most ${maxBatch}`);
    console.log(`  ${handled} events in ${seconds.toFixed(2)} s: ${rate.toFixed(0)} events/s`);
    console.log(`  billing CPU per event: ${perEvent(billingMs).toFixed(0)} µs`);
    console.log(`  store (FerretDB) CPU per event: ${perEvent(storeMs).toFixed(0)} µs`);
    console.log(
      `  cores busy: billing ${(billingMs / 1000 / seconds).toFixed(2)}, store ${(storeMs / 1000 / seconds).toFixed(2)}`,
    );
    console.log(`  bound by: ${storeMs > billingMs ? 'the store' : 'the billing process'}`);
    console.log(
      `  exactly once: ${entries} ledger entries, rollups count ${rolledUp} inferences, for ${count} events`,
    );
    if (entries !== count || rolledUp !== BigInt(count)) {
      throw new Error('the ledger or the rollups do not hold exactly one inference per event');
    }
  } finally {
    await bus.drain();
    await cluster.shutdown();
  }
}

/** The preload that profiles the billing process between two SIGUSR2s. */
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
  cluster.signal('billing', 'SIGUSR2');
  await eventually(() => fs.readdirSync(dir).length > before, {
    what: 'the CPU profile to be written',
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  console.error(`profile: ${fs.readdirSync(dir).sort().at(-1)} in ${dir}`);
}

function syntheticEvent(i: number): inference.InferenceCompleted {
  const usage = { inputTokens: 400n + BigInt(i % 100), outputTokens: 120n };
  return inference.InferenceCompleted.fromPartial({
    inferenceId: randomUUID(),
    tenantId: `bench-tenant-${i % 4}`,
    functionName: `function-${i % 5}`,
    variantName: 'v1',
    model: 'sim-small',
    attempts: [{ model: 'sim-small', provider: 'sim', status: OK, usage }],
    usage,
    catalogVersion: 1n,
    status: OK,
    occurredAt: new Date(),
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
