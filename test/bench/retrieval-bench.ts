// The retrieval benchmark: 100,000 chunks made of sentences from the shared data sets (HaluEval
// passages, GSM8K and MMLU prompts), in one collection's in-memory index: build time, top-10
// latency (vector, lexical, hybrid) and the HNSW graph's recall@10 against exact search; then
// ingestion throughput through the real service (gRPC, FerretDB, NATS at MONGO_URL/NATS_URL).
//   npm run bench:retrieval [-- --chunks 100000 --queries 500 --ingest 5000]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectBus } from '@keel/bus';
import { router } from '@keel/contracts';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import pino from 'pino';
import { loadConfig } from '../../libs/config/src';
import { connectStore } from '../../libs/store/src';
import { startRetrieval } from '../../services/retrieval/src/app';
import { configShape } from '../../services/retrieval/src/config';
import { DEFAULT_FUSION } from '../../services/retrieval/src/domain/fusion';
import {
  LOCAL_OPTIONS,
  hashedEmbedding,
} from '../../services/retrieval/src/domain/hashed-embedding';
import {
  CollectionIndex,
  type SearchMode,
} from '../../services/retrieval/src/index/collection-index';
import { RetrievalClient, testKey } from '../../services/retrieval/src/retrieval.fixture';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '500' },
    ingest: { type: 'string', default: '5000' },
  },
});
const CHUNKS = Number(values.chunks);
const QUERIES = Number(values.queries);
const INGEST = Number(values.ingest);
const DATA = path.resolve(__dirname, '../../../shared/data');

/** A seeded generator, so every run indexes the same chunks. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function sentences(): string[] {
  const texts: string[] = [];
  const read = (file: string, field: string) => {
    for (const line of fs.readFileSync(path.join(DATA, file), 'utf8').split('\n')) {
      if (line.trim() !== '')
        texts.push(String((JSON.parse(line) as Record<string, unknown>)[field]));
    }
  };
  read('rag/halueval_qa.jsonl', 'knowledge');
  read('routing/gsm8k.jsonl', 'prompt');
  read('routing/mmlu.jsonl', 'prompt');
  return texts
    .flatMap((text) => text.split(/(?<=[.?!])\s+/))
    .filter((sentence) => sentence.length > 20 && sentence.length < 400);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function latency(name: string, run: (i: number) => void): void {
  const times: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const start = performance.now();
    run(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(28)} p50 ${percentile(times, 50).toFixed(2)} ms  p99 ${percentile(times, 99).toFixed(2)} ms`,
  );
}

async function ingestion(texts: string[]): Promise<void> {
  const prefix = `rbench${randomBytes(3).toString('hex')}`;
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
  const logger = pino({ level: 'silent' });
  const bus = await connectBus({ servers: natsUrl, name: 'retrieval-bench', prefix, logger });
  const key = testKey('bench');
  const keys = router.KeysSnapshot.fromPartial({ keys: [key.record] });
  await (
    await openSnapshotBuckets(bus)
  ).keys.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(keys).finish());
  const config = loadConfig(configShape, {
    NATS_URL: natsUrl,
    MONGO_URL: mongoUrl,
    KEEL_BUS_PREFIX: prefix,
    KEEL_DB_PREFIX: prefix,
    KEEL_BIND_HOST: '127.0.0.1',
    KEEL_RETRIEVAL_PORT: '0',
  });
  const app = await startRetrieval(config, logger);
  const client = new RetrievalClient(`127.0.0.1:${app.port}`, key.token);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.listCollections();
        break;
      } catch (error) {
        if (attempt > 200) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await client.createCollection({ collectionName: 'bench' });
    const start = performance.now();
    let chunks = 0;
    for (let i = 0; i < texts.length; i += 256) {
      const reply = await client.ingest(
        'bench',
        texts.slice(i, i + 256).map((text, j) => ({ documentId: `d${i + j}`, text })),
      );
      for (const document of reply.documents) chunks += document.chunkCount;
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `ingestion through the service: ${chunks} chunks in ${seconds.toFixed(1)} s = ${(chunks / seconds).toFixed(0)} chunks/s (256 one-chunk documents per call)`,
    );
    const query = texts[7].split(' ').slice(0, 6).join(' ');
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const begin = performance.now();
      await client.retrieve({ collectionName: 'bench', query, topK: 10 });
      times.push(performance.now() - begin);
    }
    times.sort((a, b) => a - b);
    console.log(
      `Retrieve over gRPC (${chunks} chunks, hybrid) p50 ${percentile(times, 50).toFixed(2)} ms  p99 ${percentile(times, 99).toFixed(2)} ms`,
    );
  } finally {
    client.close();
    await app.stop();
    const store = await connectStore({ url: mongoUrl, dbPrefix: prefix, service: 'retrieval' });
    await store.db.dropDatabase();
    await store.close();
    await bus.drain();
  }
}

async function main(): Promise<void> {
  const pool = sentences();
  const next = random(42);
  const pick = () => pool[Math.floor(next() * pool.length)];
  const texts = Array.from({ length: CHUNKS }, () => `${pick()} ${pick()} ${pick()}`);
  console.log(
    `${CHUNKS} chunks of 3 sentences drawn from ${pool.length} sentences; ${QUERIES} queries`,
  );

  let start = performance.now();
  const vectors = texts.map((text) => hashedEmbedding(text, LOCAL_OPTIONS));
  const embedSeconds = (performance.now() - start) / 1000;
  console.log(
    `local embeddings: ${embedSeconds.toFixed(1)} s (${(CHUNKS / embedSeconds).toFixed(0)} chunks/s)`,
  );

  start = performance.now();
  const index = new CollectionIndex();
  index.replaceDocuments(
    new Map(
      texts.map((text, i) => [
        `d${i}`,
        [
          {
            chunkId: `d${i}#0`,
            documentId: `d${i}`,
            ordinal: 0,
            text,
            metadata: { shard: String(i % 10) },
            tokenCount: 0,
            headings: [],
            vector: vectors[i],
          },
        ],
      ]),
    ),
  );
  console.log(`index build (BM25 + HNSW): ${((performance.now() - start) / 1000).toFixed(1)} s`);

  // Queries: a sentence's first words, so each has a related chunk without being a copy of it.
  const queries = Array.from({ length: QUERIES }, () => pick().split(' ').slice(0, 8).join(' '));
  const queryVectors = queries.map((q) => hashedEmbedding(q, LOCAL_OPTIONS));

  const graph = index.vectors;
  let found = 0;
  for (const vector of queryVectors) {
    const exact = new Set(graph.exact(vector, 10).map((hit) => hit.label));
    for (const hit of graph.approximate(vector, 10)) if (exact.has(hit.label)) found++;
  }
  console.log(`HNSW recall@10 against exact search: ${(found / (10 * QUERIES)).toFixed(3)}`);

  latency('vector top-10 (HNSW)', (i) => graph.approximate(queryVectors[i], 10));
  latency('vector top-10 (exact)', (i) => graph.exact(queryVectors[i], 10));
  for (const mode of ['lexical', 'hybrid'] as SearchMode[]) {
    latency(`${mode} top-10`, (i) =>
      index.search({
        text: queries[i],
        vector: queryVectors[i],
        topK: 10,
        filter: {},
        mode,
        fusion: DEFAULT_FUSION,
      }),
    );
  }
  latency('hybrid top-10, filter 1/10', (i) =>
    index.search({
      text: queries[i],
      vector: queryVectors[i],
      topK: 10,
      filter: { shard: '3' },
      mode: 'hybrid',
      fusion: DEFAULT_FUSION,
    }),
  );

  await ingestion(texts.slice(0, INGEST));
  console.log(`memory: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB resident`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
