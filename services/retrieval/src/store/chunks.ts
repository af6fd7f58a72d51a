// The chunks of every document with their embeddings: what the in-memory indexes are built from.
// Written with insertMany: FerretDB serves an upsert about a hundred times slower than an insert.
import { UnavailableError } from '@keel/errors';
import { type Store, isDuplicateKeyError } from '@keel/store';
import type { Binary } from 'mongodb';
import type { IndexedChunk } from '../domain/indexed-chunk';
import { binaryOf, vectorOf } from './vectors';

export const CHUNKS = 'chunks';

export interface ChunkDocument {
  tenant_id: string;
  collection_name: string;
  chunk_id: string;
  document_id: string;
  ordinal: number;
  text: string;
  metadata: Record<string, string>;
  token_count: number;
  headings: string[];
  embedding: Binary;
}

/**
 * Inserts chunks; their documents' earlier chunks must have been removed first. A duplicate is
 * a chunk another call is writing at the same moment: this call's writes stop there, and a retry
 * finds its documents unrecorded and writes them again.
 */
export async function insertChunks(
  store: Store,
  tenantId: string,
  collectionName: string,
  chunks: IndexedChunk[],
): Promise<void> {
  if (chunks.length === 0) return;
  try {
    await store.collection<ChunkDocument>(CHUNKS).insertMany(
      chunks.map((chunk) => ({
        tenant_id: tenantId,
        collection_name: collectionName,
        chunk_id: chunk.chunkId,
        document_id: chunk.documentId,
        ordinal: chunk.ordinal,
        text: chunk.text,
        metadata: chunk.metadata,
        token_count: chunk.tokenCount,
        headings: chunk.headings,
        embedding: binaryOf(chunk.vector),
      })),
      { ordered: false },
    );
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    throw new UnavailableError(
      'a document of this call is being ingested by another call at the same time: retry',
      { cause: error },
    );
  }
}

/** Removes the chunks of the given documents. */
export async function removeDocumentsChunks(
  store: Store,
  tenantId: string,
  collectionName: string,
  documentIds: string[],
): Promise<void> {
  if (documentIds.length === 0) return;
  await store.collection<ChunkDocument>(CHUNKS).deleteMany({
    tenant_id: tenantId,
    collection_name: collectionName,
    document_id: { $in: documentIds },
  });
}

/** Removes one document's chunks; returns how many. */
export async function removeChunks(
  store: Store,
  tenantId: string,
  collectionName: string,
  documentId: string,
): Promise<number> {
  const { deletedCount } = await store
    .collection<ChunkDocument>(CHUNKS)
    .deleteMany({ tenant_id: tenantId, collection_name: collectionName, document_id: documentId });
  return deletedCount;
}

export async function removeAllChunks(
  store: Store,
  tenantId: string,
  collectionName: string,
): Promise<void> {
  await store
    .collection<ChunkDocument>(CHUNKS)
    .deleteMany({ tenant_id: tenantId, collection_name: collectionName });
}

export async function countChunks(
  store: Store,
  tenantId: string,
  collectionName: string,
): Promise<number> {
  return store
    .collection<ChunkDocument>(CHUNKS)
    .countDocuments({ tenant_id: tenantId, collection_name: collectionName });
}

/** The chunks of the given documents (all of the collection's when undefined), by document. */
export async function readChunks(
  store: Store,
  tenantId: string,
  collectionName: string,
  documentIds?: string[],
): Promise<Map<string, IndexedChunk[]>> {
  const cursor = store.collection<ChunkDocument>(CHUNKS).find({
    tenant_id: tenantId,
    collection_name: collectionName,
    ...(documentIds ? { document_id: { $in: documentIds } } : {}),
  });
  const byDocument = new Map<string, IndexedChunk[]>(documentIds?.map((id) => [id, []]));
  for await (const document of cursor) {
    const chunks = byDocument.get(document.document_id) ?? [];
    chunks.push(indexedChunkOf(document));
    byDocument.set(document.document_id, chunks);
  }
  for (const chunks of byDocument.values()) chunks.sort((a, b) => a.ordinal - b.ordinal);
  return byDocument;
}

function indexedChunkOf(document: ChunkDocument): IndexedChunk {
  return {
    chunkId: document.chunk_id,
    documentId: document.document_id,
    ordinal: document.ordinal,
    text: document.text,
    metadata: document.metadata,
    tokenCount: document.token_count,
    headings: document.headings,
    vector: vectorOf(document.embedding),
  };
}
