// The documents of a collection: the hash of what was ingested (so an unchanged document costs
// nothing) and how many chunks it has. Removed before its chunks are replaced and written after,
// so a document whose chunks were not all stored has no record and is ingested again in full.
import type { Store } from '@keel/store';

export const DOCUMENTS = 'documents';

export interface DocumentDocument {
  tenant_id: string;
  collection_name: string;
  document_id: string;
  content_hash: string;
  chunk_count: number;
  updated_at: Date;
}

export async function storedDocuments(
  store: Store,
  tenantId: string,
  collectionName: string,
  documentIds: string[],
): Promise<Map<string, DocumentDocument>> {
  const found = await store
    .collection<DocumentDocument>(DOCUMENTS)
    .find({
      tenant_id: tenantId,
      collection_name: collectionName,
      document_id: { $in: documentIds },
    })
    .toArray();
  return new Map(found.map((document) => [document.document_id, document]));
}

/** Records documents whose records were removed first (see removeDocuments). */
export async function recordDocuments(store: Store, documents: DocumentDocument[]): Promise<void> {
  if (documents.length === 0) return;
  await store.collection<DocumentDocument>(DOCUMENTS).insertMany(documents, { ordered: false });
}

/** Removes the records of the given documents: they are to be ingested again. */
export async function removeDocuments(
  store: Store,
  tenantId: string,
  collectionName: string,
  documentIds: string[],
): Promise<void> {
  if (documentIds.length === 0) return;
  await store.collection<DocumentDocument>(DOCUMENTS).deleteMany({
    tenant_id: tenantId,
    collection_name: collectionName,
    document_id: { $in: documentIds },
  });
}

/** Removes the document's record; false when there was none. */
export async function removeDocument(
  store: Store,
  tenantId: string,
  collectionName: string,
  documentId: string,
): Promise<boolean> {
  const { deletedCount } = await store
    .collection<DocumentDocument>(DOCUMENTS)
    .deleteOne({ tenant_id: tenantId, collection_name: collectionName, document_id: documentId });
  return deletedCount > 0;
}

export async function countDocuments(
  store: Store,
  tenantId: string,
  collectionName: string,
): Promise<number> {
  return store
    .collection<DocumentDocument>(DOCUMENTS)
    .countDocuments({ tenant_id: tenantId, collection_name: collectionName });
}

export async function removeAllDocuments(
  store: Store,
  tenantId: string,
  collectionName: string,
): Promise<void> {
  await store
    .collection<DocumentDocument>(DOCUMENTS)
    .deleteMany({ tenant_id: tenantId, collection_name: collectionName });
}
