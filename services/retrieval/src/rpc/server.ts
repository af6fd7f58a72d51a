// Binds the RetrievalService: reads need a key with the inference scope, writes the admin scope.
// One line per handler.
import { retrieval, router } from '@keel/contracts';
import { type KeelServer, type KeyRing, type KitLogger, type Principal, unary } from '@keel/kit';
import { createCollectionRpc } from './create-collection';
import { deleteCollectionRpc } from './delete-collection';
import { deleteDocumentRpc } from './delete-document';
import type { RetrievalDeps } from './deps';
import { embedRpc } from './embed';
import { ingestDocumentsRpc } from './ingest-documents';
import { listCollectionsRpc } from './list-collections';
import { retrieveRpc } from './retrieve';

const { API_KEY_SCOPE_INFERENCE: READ, API_KEY_SCOPE_ADMIN: WRITE } = router.ApiKeyScope;

export function bindRetrievalService(
  server: KeelServer,
  deps: RetrievalDeps & { keyRing: KeyRing; logger: KitLogger },
): void {
  const { keyRing, logger } = deps;
  const withScope =
    (scope: router.ApiKeyScope) =>
    <Req, Res>(
      handler: (deps: RetrievalDeps, principal: Principal, request: Req) => Promise<Res>,
    ) =>
      unary<Req, Res>({
        logger,
        keyRing,
        scope,
        handler: (request, context) => handler(deps, context.principal as Principal, request),
      });
  const read = withScope(READ);
  const write = withScope(WRITE);

  const handlers: retrieval.RetrievalServiceServer = {
    createCollection: write(createCollectionRpc),
    listCollections: read(listCollectionsRpc),
    deleteCollection: write(deleteCollectionRpc),
    ingestDocuments: write(ingestDocumentsRpc),
    deleteDocument: write(deleteDocumentRpc),
    retrieve: read(retrieveRpc),
    embed: read(embedRpc),
  };
  server.addService(retrieval.RetrievalServiceService, handlers);
}
