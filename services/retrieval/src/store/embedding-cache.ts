// Embeddings already computed, by tenant, model and the SHA-256 of the text: ingestion,
// retrieval and Embed (the semantic cache's) read it before they call a remote model.
import type { Store } from '@keel/store';
import type { Binary } from 'mongodb';
import { binaryOf, vectorOf } from './vectors';

export const EMBEDDING_CACHE = 'embedding_cache';

export interface CachedEmbeddingDocument {
  tenant_id: string;
  model: string;
  text_sha256: string;
  embedding: Binary;
}

export async function cachedEmbeddings(
  store: Store,
  tenantId: string,
  model: string,
  hashes: string[],
): Promise<Map<string, Float32Array>> {
  const found = await store
    .collection<CachedEmbeddingDocument>(EMBEDDING_CACHE)
    .find({ tenant_id: tenantId, model, text_sha256: { $in: hashes } })
    .toArray();
  return new Map(found.map((document) => [document.text_sha256, vectorOf(document.embedding)]));
}

export async function cacheEmbeddings(
  store: Store,
  tenantId: string,
  model: string,
  entries: Array<{ hash: string; vector: Float32Array }>,
): Promise<void> {
  if (entries.length === 0) return;
  await store.collection<CachedEmbeddingDocument>(EMBEDDING_CACHE).bulkWrite(
    entries.map(({ hash, vector }) => ({
      updateOne: {
        filter: { tenant_id: tenantId, model, text_sha256: hash },
        update: { $setOnInsert: { embedding: binaryOf(vector) } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
}
