// The exact cache's cost: the cache step alone (key hash and lookup) from the in-process LRU and
// from the shared NATS KV bucket, then sequential Complete calls over gRPC, each a hit or a miss,
// against the inference service in this process (sim model at zero latency).
//   npm run bench:cache [-- --calls 2000 --warm-up 200]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectBus } from '@keel/bus';
import { durationFromMs, inference, router } from '@keel/contracts';
import { startLocalServers } from '@keel/local';
import { eventually, uniqueName } from '@keel/testing';
import pino from 'pino';
import {
  INFERENCE,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../../services/inference/src/app.fixture';
import { type CacheRoute, ExactCache } from '../../services/inference/src/cache/exact-cache';
import { CacheEntries } from '../../services/inference/src/store/cache-entries';

const logger = pino({ level: 'silent' });
// A support question of a few hundred characters, with a system prompt, as a cached function gets.
const QUESTION = userAsks(
  'You are the support assistant of an online shop. Answer in two sentences.',
  'My order 4411 arrived with a broken lid. Can I get a replacement, and do I need to send the ' +
    'broken one back first? I have the photos and the original packaging.',
);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '2000' },
      'warm-up': { type: 'string', default: '200' },
    },
  });
  const calls = Number(values.calls);
  const warmUp = Number(values['warm-up']);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  try {
    await cacheStep(servers.natsUrl, calls, warmUp);
    await completeCalls(calls, warmUp);
  } finally {
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** plan (the key's SHA-256) + read, from the LRU and, with an LRU of one entry, from the KV bucket. */
async function cacheStep(natsUrl: string, calls: number, warmUp: number): Promise<void> {
  const bus = await connectBus({
    servers: natsUrl,
    name: 'bench',
    prefix: uniqueName('bench'),
    logger,
  });
  try {
    const store = await CacheEntries.open(bus);
    const options = { store, maxBytes: 64 << 20, maxEntryBytes: 256 << 10, logger };
    const route = (content: string): [CacheRoute, inference.CompleteRequest] => [
      {
        tenantId: 'tenant-bench',
        functionName: 'support.answer',
        variantName: 'v1',
        chain: [router.Model.fromPartial({ name: 'sim-small', provider: 'sim' })],
        maxTokens: 256,
        fn: router.KeelFunction.fromPartial({
          variants: [{ variantName: 'v1', modelChain: ['sim-small'], defaultMaxTokens: 256 }],
          cache: { ttl: durationFromMs(3_600_000) },
        }),
        tenantSettings: null,
      },
      inference.CompleteRequest.fromPartial({
        messages: [...QUESTION, ...userAsks(content)],
      }),
    ];
    const event = (id: string) =>
      inference.InferenceCompleted.fromPartial({
        inferenceId: id,
        status: inference.InferenceStatus.INFERENCE_STATUS_OK,
        model: 'sim-small',
        outputText: 'A replacement is on its way; keep the broken lid. '.repeat(8),
        usage: { inputTokens: 80n, outputTokens: 96n },
        costNanoUsd: 50_000n,
      });
    const writer = new ExactCache({ ...options, maxEntries: 10 });
    const requests = ['a', 'b'].map((content) => route(content));
    for (const [i, [r, q]] of requests.entries()) {
      await writer.keep(writer.plan(r, { ...q, bypassCache: false }), event(`inf-${i}`));
    }
    // An LRU of one entry, asked the two requests in turn: every read goes to the bucket.
    const tiers = [
      { name: 'LRU hit', cache: writer },
      { name: 'KV hit (LRU evicted)', cache: new ExactCache({ ...options, maxEntries: 1 }) },
    ];
    console.log(`cache step (plan: key hash; read), ${calls} sequential lookups after ${warmUp}`);
    for (const { name, cache } of tiers) {
      const micros: number[] = [];
      for (let i = 0; i < warmUp + calls; i++) {
        const [r, q] = requests[i % 2];
        const started = process.hrtime.bigint();
        const hit = await cache.read(cache.plan(r, { ...q, bypassCache: false }));
        const took = Number(process.hrtime.bigint() - started) / 1e3;
        if (!hit) throw new Error(`${name}: expected a hit`);
        if (i >= warmUp) micros.push(took);
      }
      console.log(`  ${name.padEnd(22)} ${summary(micros, 'µs')}`);
    }
  } finally {
    await bus.drain();
  }
}

/** Complete over gRPC, in this process: hits (one cached question) and misses (new questions). */
async function completeCalls(calls: number, warmUp: number): Promise<void> {
  const tenantId = 'tenant-bench';
  const key = testKey(tenantId, [INFERENCE]);
  const service = await TestInference.start({ KEEL_SIM_LATENCY_MS: '0' });
  try {
    await service.publish(
      policySnapshot(tenantId, [
        { name: 'cached', chain: ['sim-small'], cache: { ttl: durationFromMs(3_600_000) } },
        { name: 'uncached', chain: ['sim-small'] },
      ]),
      keysSnapshot([key]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
    const ask = (functionName: string, i: number) =>
      service.complete(
        {
          functionName,
          messages: functionName === 'cached' ? QUESTION : [...QUESTION, ...userAsks(`#${i}`)],
        },
        key.token,
      );
    console.log(
      `Complete over gRPC (client round trip), ${calls} sequential calls of each after ` +
        `${warmUp}, hits and misses taking turns`,
    );
    const kinds = ['cached', 'uncached'];
    const millis = kinds.map((): number[] => []);
    for (let i = 0; i < warmUp + calls; i++) {
      for (const [k, functionName] of kinds.entries()) {
        const started = process.hrtime.bigint();
        const answer = await ask(functionName, i);
        const took = Number(process.hrtime.bigint() - started) / 1e6;
        if (functionName === 'cached' && i > 0 && !answer.cacheHit)
          throw new Error('expected a hit');
        if (i >= warmUp) millis[k].push(took);
      }
    }
    console.log(`  ${'hit (cached function)'.padEnd(22)} ${summary(millis[0], 'ms')}`);
    console.log(`  ${'miss (no cache, sim)'.padEnd(22)} ${summary(millis[1], 'ms')}`);
  } finally {
    await service.close();
  }
}

function summary(values: number[], unit: string): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  const f = (value: number) => `${value.toFixed(unit === 'ms' ? 2 : 1)} ${unit}`;
  return `p50 ${f(at(0.5))}  p90 ${f(at(0.9))}  p99 ${f(at(0.99))}  mean ${f(mean)}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
