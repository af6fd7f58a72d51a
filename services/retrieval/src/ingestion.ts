// Ingestion: the documents of a call are chunked, embedded (one batch) and stored, then this
// replica's index takes them and every replica is told. A document stored with the same hash is
// unchanged and costs nothing; a retried call redoes only what was not recorded.
import type { Bus } from '@keel/bus';
import type { Store } from '@keel/store';
import { chunkDocument } from './domain/chunking';
import { documentHash } from './domain/document-hash';
import type { IndexedChunk } from './domain/indexed-chunk';
import type { Embeddings } from './embeddings';
import type { IndexRegistry } from './index/index-registry';
import { publishCollectionChanged } from './publish/collection-changed';
import { insertChunks, removeChunks, removeDocumentsChunks } from './store/chunks';
import type { CollectionRecord } from './store/collections';
import {
  recordDocuments,
  removeDocument,
  removeDocuments,
  storedDocuments,
} from './store/documents';

export interface DocumentInput {
  documentId: string;
  text: string;
  markdown: boolean;
  metadata: Record<string, string>;
}

export interface IngestOutcome {
  documentId: string;
  chunkCount: number;
  unchanged: boolean;
}

export interface IngestionDeps {
  store: Store;
  bus: Bus;
  embeddings: Embeddings;
  indexes: IndexRegistry;
}

export async function ingestDocuments(
  deps: IngestionDeps,
  collection: CollectionRecord,
  documents: DocumentInput[],
): Promise<IngestOutcome[]> {
  const { tenantId, name } = collection;
  const stored = await storedDocuments(
    deps.store,
    tenantId,
    name,
    documents.map((document) => document.documentId),
  );
  const changed = documents.map((document) => ({
    document,
    hash: documentHash(document.text, document.markdown, document.metadata),
  }));
  const toWrite = changed.filter(({ document, hash }) => {
    return stored.get(document.documentId)?.content_hash !== hash;
  });

  // One embedding call for every chunk of the request.
  const cut = toWrite.map(({ document }) =>
    chunkDocument(document.text, document.markdown, collection.chunking),
  );
  const embedder = deps.embeddings.embedderFor(collection.embeddingModel, 'embedding_model');
  const vectors = await deps.embeddings.embed(
    tenantId,
    embedder,
    cut.flatMap((chunks) => chunks.map((chunk) => embeddedText(chunk.headings, chunk.text))),
  );

  let next = 0;
  const written = new Map<string, IndexedChunk[]>();
  for (const [i, { document }] of toWrite.entries()) {
    written.set(
      document.documentId,
      cut[i].map((chunk) => ({
        chunkId: `${document.documentId}#${chunk.ordinal}`,
        documentId: document.documentId,
        ordinal: chunk.ordinal,
        text: chunk.text,
        metadata: document.metadata,
        tokenCount: chunk.tokenCount,
        headings: chunk.headings,
        vector: vectors[next++],
      })),
    );
  }
  // Record gone, chunks replaced, record written: a call cut short anywhere leaves documents
  // without a record, which the next ingestion of them writes in full.
  const ids = [...written.keys()];
  await removeDocuments(deps.store, tenantId, name, ids);
  await removeDocumentsChunks(deps.store, tenantId, name, ids);
  await insertChunks(deps.store, tenantId, name, [...written.values()].flat());
  const now = new Date();
  await recordDocuments(
    deps.store,
    toWrite.map(({ document, hash }) => ({
      tenant_id: tenantId,
      collection_name: name,
      document_id: document.documentId,
      content_hash: hash,
      chunk_count: written.get(document.documentId)?.length ?? 0,
      updated_at: now,
    })),
  );

  if (written.size > 0) {
    await deps.indexes.replaceDocuments(tenantId, name, written);
    await publishCollectionChanged(deps.bus, {
      tenantId,
      collectionName: name,
      documentIds: [...written.keys()],
      deleted: false,
    });
  }
  return documents.map((document) => {
    const chunks = written.get(document.documentId);
    return chunks
      ? { documentId: document.documentId, chunkCount: chunks.length, unchanged: false }
      : {
          documentId: document.documentId,
          chunkCount: stored.get(document.documentId)?.chunk_count ?? 0,
          unchanged: true,
        };
  });
}

/** Removes a document's chunks and record; returns how many chunks it had. */
export async function deleteDocument(
  deps: IngestionDeps,
  collection: CollectionRecord,
  documentId: string,
): Promise<number | null> {
  const { tenantId, name } = collection;
  const removed = await removeChunks(deps.store, tenantId, name, documentId);
  const recorded = await removeDocument(deps.store, tenantId, name, documentId);
  if (removed === 0 && !recorded) return null;
  await deps.indexes.replaceDocuments(tenantId, name, new Map([[documentId, []]]));
  await publishCollectionChanged(deps.bus, {
    tenantId,
    collectionName: name,
    documentIds: [documentId],
    deleted: false,
  });
  return removed;
}

/** A chunk is embedded with the headings above it: they often say what it is about. */
export function embeddedText(headings: string[], text: string): string {
  return headings.length === 0 ? text : `${headings.join('\n')}\n${text}`;
}
