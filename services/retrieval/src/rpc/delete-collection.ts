// DeleteCollection: chunks, then documents, then the collection itself, so a deletion cut short
// leaves a collection that a retry finishes deleting, never chunks without a collection.
import type { retrieval } from '@keel/contracts';
import { type Principal, actingTenant } from '@keel/kit';
import { publishCollectionChanged } from '../publish/collection-changed';
import { removeAllChunks } from '../store/chunks';
import { findCollection, removeCollection } from '../store/collections';
import { removeAllDocuments } from '../store/documents';
import type { RetrievalDeps } from './deps';
import { checkCollectionName } from './validate';

export async function deleteCollectionRpc(
  deps: RetrievalDeps,
  principal: Principal,
  request: retrieval.DeleteCollectionRequest,
): Promise<retrieval.DeleteCollectionResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const name = checkCollectionName(request.collectionName);
  await findCollection(deps.store, tenantId, name);
  await removeAllChunks(deps.store, tenantId, name);
  await removeAllDocuments(deps.store, tenantId, name);
  await removeCollection(deps.store, tenantId, name);
  deps.indexes.drop(tenantId, name);
  await publishCollectionChanged(deps.bus, {
    tenantId,
    collectionName: name,
    documentIds: [],
    deleted: true,
  });
  return {};
}
