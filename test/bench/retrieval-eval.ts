// Retrieval quality on HaluEval QA (all passages pooled; each question's gold passage):
// recall@1, recall@5 and MRR for lexical, vector and hybrid search, on the second half of the
// questions, with the fusion weights tuned on the first half; two local embedding candidates
// compared; then the same through the real ingestion path (a retrieval service on the servers at
// NATS_URL and MONGO_URL, the passages ingested as Markdown documents over gRPC) with the
// default chunking and with 64-token chunks.
//   npm run eval:retrieval
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../libs/config/src';
import { retrieval, router } from '@keel/contracts';
import { connectBus } from '@keel/bus';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { connectStore } from '../../libs/store/src';
import pino from 'pino';
import { startRetrieval } from '../../services/retrieval/src/app';
import { configShape } from '../../services/retrieval/src/config';
import { DEFAULT_FUSION, type FusionWeights } from '../../services/retrieval/src/domain/fusion';
import {
  type HashedEmbeddingOptions,
  LOCAL_OPTIONS,
  hashedEmbedding,
} from '../../services/retrieval/src/domain/hashed-embedding';
import {
  CollectionIndex,
  type SearchMode,
} from '../../services/retrieval/src/index/collection-index';
import { RetrievalClient, testKey } from '../../services/retrieval/src/retrieval.fixture';
import {
  type Figures,
  type HaluQuestion,
  figures,
  formatFigures,
  haluEval,
} from './retrieval-data';

const { passages, tune, report } = haluEval();

function indexOf(options: HashedEmbeddingOptions): CollectionIndex {
  const index = new CollectionIndex();
  for (const passage of passages) {
    index.replaceDocument(passage.id, [
      {
        chunkId: passage.id,
        documentId: passage.id,
        ordinal: 0,
        text: passage.knowledge,
        metadata: {},
        tokenCount: 0,
        headings: [],
        vector: hashedEmbedding(passage.knowledge, options),
      },
    ]);
  }
  return index;
}

function evaluate(
  index: CollectionIndex,
  options: HashedEmbeddingOptions,
  questions: HaluQuestion[],
  mode: SearchMode,
  fusion: FusionWeights = DEFAULT_FUSION,
): Figures {
  return figures(
    questions.map((q) => ({
      gold: q.id,
      ids: index
        .search({
          text: q.question,
          vector: hashedEmbedding(q.question, options),
          topK: 10,
          filter: {},
          mode,
          fusion,
        })
        .map((result) => result.key.documentId),
    })),
  );
}

/**
 * Orders tries: recall@1 first, then MRR, then recall@5; among equal figures, the one whose
 * vector side can overturn the fewest lexical ranks at the top (vector weight × (k + 2), the
 * ratio of its largest share to the gap between lexical ranks 1 and 2).
 */
function better(a: Tried, b: Tried): boolean {
  if (a.figures.recallAt1 !== b.figures.recallAt1) return a.figures.recallAt1 > b.figures.recallAt1;
  if (a.figures.mrr !== b.figures.mrr) return a.figures.mrr > b.figures.mrr;
  if (a.figures.recallAt5 !== b.figures.recallAt5) return a.figures.recallAt5 > b.figures.recallAt5;
  return influence(a.fusion) < influence(b.fusion);
}

interface Tried {
  fusion: FusionWeights;
  figures: Figures;
}

function influence(fusion: FusionWeights): number {
  return (fusion.vector / fusion.lexical) * (fusion.k + 2);
}

function tuneFusion(index: CollectionIndex, options: HashedEmbeddingOptions): Tried {
  let best: Tried | undefined;
  for (const k of [1, 2, 5, 10, 20, 60]) {
    for (const vector of [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1]) {
      const fusion = { lexical: 1, vector, k };
      const tried = { fusion, figures: evaluate(index, options, tune, 'hybrid', fusion) };
      if (!best || better(tried, best)) best = tried;
    }
  }
  if (!best) throw new Error('no fusion weights tried');
  return best;
}

async function ingestionPath(
  chunking: { maxTokens?: number; overlapTokens?: number },
  label: string,
) {
  const prefix = `reval${randomBytes(3).toString('hex')}`;
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
  const logger = pino({ level: 'silent' });
  const bus = await connectBus({ servers: natsUrl, name: 'retrieval-eval', prefix, logger });
  const key = testKey('eval');
  const buckets = await openSnapshotBuckets(bus);
  const keys = router.KeysSnapshot.fromPartial({ keys: [key.record] });
  await buckets.keys.put(SNAPSHOT_KEY, router.KeysSnapshot.encode(keys).finish());
  const config = loadConfig(configShape, {
    NATS_URL: natsUrl,
    MONGO_URL: mongoUrl,
    KEEL_BUS_PREFIX: prefix,
    KEEL_DB_PREFIX: prefix,
    KEEL_BIND_HOST: '127.0.0.1',
    KEEL_RETRIEVAL_PORT: '0',
    LOG_LEVEL: 'silent',
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
    await client.createCollection({
      collectionName: 'halueval',
      chunking: { splitMarkdownHeadings: true, maxTokens: 0, overlapTokens: 0, ...chunking },
    });
    for (let i = 0; i < passages.length; i += 128) {
      await client.ingest(
        'halueval',
        passages.slice(i, i + 128).map((p) => ({
          documentId: p.id,
          text: p.knowledge,
          format: retrieval.DocumentFormat.DOCUMENT_FORMAT_MARKDOWN,
        })),
      );
    }
    const listed = await client.listCollections();
    const chunks = listed.collections[0]?.chunkCount ?? 0n;
    for (const [name, mode] of [
      ['lexical', retrieval.RetrievalMode.RETRIEVAL_MODE_LEXICAL],
      ['vector', retrieval.RetrievalMode.RETRIEVAL_MODE_VECTOR],
      ['hybrid', retrieval.RetrievalMode.RETRIEVAL_MODE_UNSPECIFIED],
    ] as const) {
      const ranked = [];
      for (const q of report) {
        const { chunks: found } = await client.retrieve({
          collectionName: 'halueval',
          query: q.question,
          topK: 10,
          mode,
        });
        // A question is found at the first rank holding a chunk of its passage.
        const documents = [...new Set(found.map((c) => c.chunk?.documentId ?? ''))];
        ranked.push({ gold: q.id, ids: documents });
      }
      console.log(formatFigures(`${label} (${chunks} chunks) ${name}`, figures(ranked)));
    }
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
  console.log(
    `HaluEval QA: ${passages.length} passages; tuned on ${tune.length} questions, reported on ${report.length}`,
  );
  const candidates: Array<[string, HashedEmbeddingOptions]> = [
    ['hashed words', { dimensions: 384, trigramWeight: 0 }],
    ['hashed words + trigrams (default)', LOCAL_OPTIONS],
  ];
  console.log('\nIn-process indexes, second half:');
  for (const [name, options] of candidates) {
    const index = indexOf(options);
    const { fusion, figures: tuned } = tuneFusion(index, options);
    console.log(formatFigures(`lexical (BM25)`, evaluate(index, options, report, 'lexical')));
    console.log(formatFigures(`vector: ${name}`, evaluate(index, options, report, 'vector')));
    console.log(
      formatFigures(`hybrid: ${name}`, evaluate(index, options, report, 'hybrid', fusion)) +
        `  (weights ${JSON.stringify(fusion)}; first half recall@1 ${tuned.recallAt1.toFixed(3)})`,
    );
  }
  console.log(`\nThe service's fusion: ${JSON.stringify(DEFAULT_FUSION)}`);
  console.log('\nThrough the ingestion path (gRPC), second half:');
  await ingestionPath({}, 'default chunking');
  await ingestionPath({ maxTokens: 64, overlapTokens: 16 }, '64-token chunks');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
