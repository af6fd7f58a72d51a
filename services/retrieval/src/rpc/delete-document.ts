// DeleteDocument: removes a document's chunks from the store and every replica's indexes.
import type { retrieval } from '@keel/contracts';
import { NotFoundError } from '@keel/errors';
import { type Principal, actingTenant } from '@keel/kit';
import { deleteDocument } from '../ingestion';
import { findCollection } from '../store/collections';
import type { RetrievalDeps } from './deps';
import { checkCollectionName, checkDocumentId } from './validate';

export async function deleteDocumentRpc(
  deps: RetrievalDeps,
  principal: Principal,
  request: retrieval.DeleteDocumentRequest,
): Promise<retrieval.DeleteDocumentResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const name = checkCollectionName(request.collectionName);
  const documentId = checkDocumentId(request.documentId, 'document_id');
  const collection = await findCollection(deps.store, tenantId, name);
  const removed = await deleteDocument(deps, collection, documentId);
  if (removed === null) {
    throw new NotFoundError(`document '${documentId}' is not in collection '${name}'`);
  }
  return { chunkCount: removed };
}
