// `keel collection`, `keel ingest` and `keel retrieve`: a tenant's collections over the
// RetrievalService. Ingestion goes in batches; a document already stored unchanged costs
// nothing, so an interrupted ingest is resumed by running it again.
import * as grpc from '@grpc/grpc-js';
import { retrieval } from '@keel/contracts';
import { call } from '@keel/kit';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { batches, readDocuments, sourceFiles } from './ingest-source';

interface Connection {
  retrieval: () => string;
  /** The key: a tenant key (admin scope to write), or the operator's admin key. */
  key: () => string;
}

// Below the service's 256 documents and its 4 MiB gRPC message limit.
const BATCH_DOCUMENTS = 64;
const BATCH_BYTES = 2 * 1024 * 1024;

function integer(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError('not a whole number');
  return value;
}

export function addRetrievalCommands(program: Command, connection: Connection): void {
  const client = () =>
    new retrieval.RetrievalServiceClient(connection.retrieval(), grpc.credentials.createInsecure());

  const collection = program.command('collection').description("manage a tenant's collections");
  collection
    .command('create <name>')
    .description('create a collection')
    .option('--tenant <id>', "another tenant's (operator key)", '')
    .option('--max-tokens <n>', 'most tokens of a chunk (default 256)', integer, 0)
    .option(
      '--overlap-tokens <n>',
      'tokens a chunk repeats from the one before (default 32)',
      integer,
      0,
    )
    .option('--split-headings', 'split Markdown at headings first', false)
    .option('--embedding-model <name>', "'local-hash-384' (default) or '<provider>/<model>'", '')
    .action(
      async (
        name: string,
        options: {
          tenant: string;
          maxTokens: number;
          overlapTokens: number;
          splitHeadings: boolean;
          embeddingModel: string;
        },
      ) => {
        const c = client();
        const reply = await call<retrieval.CreateCollectionResponse>(connection.key(), (m, cb) =>
          c.createCollection(
            retrieval.CreateCollectionRequest.fromPartial({
              tenantId: options.tenant,
              collectionName: name,
              chunking: {
                maxTokens: options.maxTokens,
                overlapTokens: options.overlapTokens,
                splitMarkdownHeadings: options.splitHeadings,
              },
              embeddingModel: options.embeddingModel,
            }),
            m,
            cb,
          ),
        );
        const created = reply.collection;
        console.log(
          `collection ${created?.collectionName}: ${created?.chunking?.maxTokens}-token chunks, ` +
            `${created?.chunking?.overlapTokens} overlap, model ${created?.embeddingModel}`,
        );
      },
    );
  collection
    .command('list')
    .description('list the collections with their document and chunk counts')
    .option('--tenant <id>', "another tenant's (operator key)", '')
    .action(async (options: { tenant: string }) => {
      const c = client();
      const reply = await call<retrieval.ListCollectionsResponse>(connection.key(), (m, cb) =>
        c.listCollections(
          retrieval.ListCollectionsRequest.fromPartial({ tenantId: options.tenant }),
          m,
          cb,
        ),
      );
      for (const found of reply.collections) {
        console.log(
          `${found.collectionName}\t${found.documentCount} documents\t${found.chunkCount} chunks\t${found.embeddingModel}`,
        );
      }
    });
  collection
    .command('delete <name>')
    .description('delete a collection with all its documents')
    .option('--tenant <id>', "another tenant's (operator key)", '')
    .action(async (name: string, options: { tenant: string }) => {
      const c = client();
      await call<retrieval.DeleteCollectionResponse>(connection.key(), (m, cb) =>
        c.deleteCollection(
          retrieval.DeleteCollectionRequest.fromPartial({
            tenantId: options.tenant,
            collectionName: name,
          }),
          m,
          cb,
        ),
      );
      console.log(`collection ${name} deleted`);
    });

  program
    .command('ingest <collection> <path>')
    .description('ingest a .txt, .md or .jsonl file ({id, text, metadata}), or a folder of them')
    .option('--tenant <id>', "another tenant's (operator key)", '')
    .action(async (name: string, root: string, options: { tenant: string }) => {
      const files = sourceFiles(root);
      const total = await countDocuments(root);
      const c = client();
      // The bar goes to stderr, and only to a terminal: piped output stays plain lines.
      const bar = process.stderr.isTTY
        ? new SingleBar({ format: 'ingest [{bar}] {value}/{total} documents | {chunks} chunks' })
        : undefined;
      bar?.start(total, 0, { chunks: 0 });
      let changed = 0;
      let unchanged = 0;
      let chunks = 0;
      for await (const batch of batches(readDocuments(root), BATCH_DOCUMENTS, BATCH_BYTES)) {
        const reply = await call<retrieval.IngestDocumentsResponse>(connection.key(), (m, cb) =>
          c.ingestDocuments(
            retrieval.IngestDocumentsRequest.fromPartial({
              tenantId: options.tenant,
              collectionName: name,
              documents: batch.map((document) => ({
                documentId: document.documentId,
                text: document.text,
                format: document.markdown
                  ? retrieval.DocumentFormat.DOCUMENT_FORMAT_MARKDOWN
                  : retrieval.DocumentFormat.DOCUMENT_FORMAT_TEXT,
                metadata: document.metadata,
              })),
            }),
            m,
            cb,
          ),
        );
        for (const outcome of reply.documents) {
          if (outcome.unchanged) unchanged++;
          else changed++;
          chunks += outcome.chunkCount;
        }
        bar?.update(changed + unchanged, { chunks });
      }
      bar?.stop();
      console.log(
        `ingested ${changed + unchanged} documents from ${files.length} files into ${name}: ` +
          `${changed} written, ${unchanged} unchanged, ${chunks} chunks`,
      );
    });

  program
    .command('retrieve <collection> <query>')
    .description('the chunks of a collection that best match a query')
    .option('--tenant <id>', "another tenant's (operator key)", '')
    .option('--top-k <n>', 'how many chunks', integer, 5)
    .option('--filter <key=value>', 'only chunks with this metadata (repeatable)', collectPairs, {})
    .option('--mode <mode>', 'hybrid, lexical or vector', 'hybrid')
    .action(
      async (
        name: string,
        query: string,
        options: { tenant: string; topK: number; filter: Record<string, string>; mode: string },
      ) => {
        const mode = MODES[options.mode];
        if (mode === undefined)
          throw new Error(`--mode: '${options.mode}' is not hybrid, lexical or vector`);
        const c = client();
        const reply = await call<retrieval.RetrieveResponse>(connection.key(), (m, cb) =>
          c.retrieve(
            retrieval.RetrieveRequest.fromPartial({
              tenantId: options.tenant,
              collectionName: name,
              query,
              topK: options.topK,
              filter: options.filter,
              mode,
            }),
            m,
            cb,
          ),
        );
        for (const [i, scored] of reply.chunks.entries()) {
          const text = (scored.chunk?.text ?? '').replace(/\s+/g, ' ');
          console.log(
            `${i + 1}. ${scored.chunk?.chunkId}  score ${scored.score.toFixed(4)} ` +
              `(lexical #${scored.lexicalRank || '-'}, vector #${scored.vectorRank || '-'})\n   ${text.slice(0, 200)}`,
          );
        }
      },
    );
}

const MODES: Record<string, retrieval.RetrievalMode> = {
  hybrid: retrieval.RetrievalMode.RETRIEVAL_MODE_UNSPECIFIED,
  lexical: retrieval.RetrievalMode.RETRIEVAL_MODE_LEXICAL,
  vector: retrieval.RetrievalMode.RETRIEVAL_MODE_VECTOR,
};

function collectPairs(pair: string, pairs: Record<string, string>): Record<string, string> {
  const at = pair.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`'${pair}' is not key=value`);
  return { ...pairs, [pair.slice(0, at)]: pair.slice(at + 1) };
}

async function countDocuments(root: string): Promise<number> {
  let count = 0;
  const documents = readDocuments(root);
  while (!(await documents.next()).done) count++;
  return count;
}
