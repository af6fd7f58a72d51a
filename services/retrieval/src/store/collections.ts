// The collections of each tenant: their chunking and embedding model.
import { AlreadyExistsError, NotFoundError } from '@keel/errors';
import { type Store, insertOnce } from '@keel/store';
import type { ChunkingSettings } from '../domain/chunking';

export const COLLECTIONS = 'collections';

export interface CollectionDocument {
  tenant_id: string;
  collection_name: string;
  chunking: { max_tokens: number; overlap_tokens: number; split_markdown_headings: boolean };
  embedding_model: string;
  created_at: Date;
}

export interface CollectionRecord {
  tenantId: string;
  name: string;
  chunking: ChunkingSettings;
  embeddingModel: string;
  createdAt: Date;
}

export async function insertCollection(store: Store, record: CollectionRecord): Promise<void> {
  const inserted = await insertOnce(store.collection<CollectionDocument>(COLLECTIONS), {
    tenant_id: record.tenantId,
    collection_name: record.name,
    chunking: {
      max_tokens: record.chunking.maxTokens,
      overlap_tokens: record.chunking.overlapTokens,
      split_markdown_headings: record.chunking.splitMarkdownHeadings,
    },
    embedding_model: record.embeddingModel,
    created_at: record.createdAt,
  });
  if (inserted === 'duplicate') {
    throw new AlreadyExistsError(`collection '${record.name}' already exists`);
  }
}

/** The tenant's collection; NOT_FOUND when it has none of that name (another's included). */
export async function findCollection(
  store: Store,
  tenantId: string,
  name: string,
): Promise<CollectionRecord> {
  const found = await store
    .collection<CollectionDocument>(COLLECTIONS)
    .findOne({ tenant_id: tenantId, collection_name: name });
  if (!found) throw new NotFoundError(`collection '${name}' does not exist`);
  return recordOf(found);
}

export async function listCollections(
  store: Store,
  tenantId: string | undefined,
): Promise<CollectionRecord[]> {
  const found = await store
    .collection<CollectionDocument>(COLLECTIONS)
    .find(tenantId === undefined ? {} : { tenant_id: tenantId })
    .sort({ tenant_id: 1, collection_name: 1 })
    .toArray();
  return found.map(recordOf);
}

export async function removeCollection(
  store: Store,
  tenantId: string,
  name: string,
): Promise<void> {
  await store
    .collection<CollectionDocument>(COLLECTIONS)
    .deleteOne({ tenant_id: tenantId, collection_name: name });
}

function recordOf(document: CollectionDocument): CollectionRecord {
  return {
    tenantId: document.tenant_id,
    name: document.collection_name,
    chunking: {
      maxTokens: document.chunking.max_tokens,
      overlapTokens: document.chunking.overlap_tokens,
      splitMarkdownHeadings: document.chunking.split_markdown_headings,
    },
    embeddingModel: document.embedding_model,
    createdAt: document.created_at,
  };
}
