// Every index of the retrieval store; each begins with tenant_id, as every query names one.
import type { CollectionIndexes } from '@keel/store';
import { CHUNKS } from './chunks';
import { COLLECTIONS } from './collections';
import { DOCUMENTS } from './documents';
import { EMBEDDING_CACHE } from './embedding-cache';

export const retrievalIndexes: CollectionIndexes = {
  [COLLECTIONS]: [{ key: { tenant_id: 1, collection_name: 1 }, unique: true }],
  [DOCUMENTS]: [{ key: { tenant_id: 1, collection_name: 1, document_id: 1 }, unique: true }],
  [CHUNKS]: [
    { key: { tenant_id: 1, collection_name: 1, chunk_id: 1 }, unique: true },
    { key: { tenant_id: 1, collection_name: 1, document_id: 1, ordinal: 1 } },
  ],
  [EMBEDDING_CACHE]: [{ key: { tenant_id: 1, model: 1, text_sha256: 1 }, unique: true }],
};
