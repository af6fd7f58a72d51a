// ListCollections: the tenant's collections with their document and chunk counts.
import type { retrieval } from '@keel/contracts';
import { type Principal, actingTenant } from '@keel/kit';
import { countChunks } from '../store/chunks';
import { listCollections } from '../store/collections';
import { countDocuments } from '../store/documents';
import type { RetrievalDeps } from './deps';
import { collectionMessage } from './messages';

export async function listCollectionsRpc(
  deps: RetrievalDeps,
  principal: Principal,
  request: retrieval.ListCollectionsRequest,
): Promise<retrieval.ListCollectionsResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const records = await listCollections(deps.store, tenantId);
  const collections = await Promise.all(
    records.map(async (record) =>
      collectionMessage(
        record,
        await countDocuments(deps.store, tenantId, record.name),
        await countChunks(deps.store, tenantId, record.name),
      ),
    ),
  );
  return { collections };
}
