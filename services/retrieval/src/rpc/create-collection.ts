// CreateCollection: a new named collection of the tenant, with its chunking and embedding model.
import type { retrieval } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type Principal, actingTenant } from '@keel/kit';
import { DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS } from '../domain/chunking';
import { insertCollection } from '../store/collections';
import type { RetrievalDeps } from './deps';
import { collectionMessage } from './messages';
import { checkCollectionName } from './validate';

const MAX_CHUNK_TOKENS = 8_192;

export async function createCollectionRpc(
  deps: RetrievalDeps,
  principal: Principal,
  request: retrieval.CreateCollectionRequest,
): Promise<retrieval.CreateCollectionResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const name = checkCollectionName(request.collectionName);
  const maxTokens = request.chunking?.maxTokens || DEFAULT_MAX_TOKENS;
  const overlapTokens = request.chunking?.overlapTokens || DEFAULT_OVERLAP_TOKENS;
  if (maxTokens < 8 || maxTokens > MAX_CHUNK_TOKENS) {
    throw new InvalidArgumentError('chunking.max_tokens', `must be 8 to ${MAX_CHUNK_TOKENS}`);
  }
  if (overlapTokens < 0 || overlapTokens >= maxTokens / 2) {
    throw new InvalidArgumentError(
      'chunking.overlap_tokens',
      `must be at least 0 and less than half of max_tokens (${maxTokens})`,
    );
  }
  const embedder = deps.embeddings.embedderFor(request.embeddingModel, 'embedding_model');
  const record = {
    tenantId,
    name,
    chunking: {
      maxTokens,
      overlapTokens,
      splitMarkdownHeadings: request.chunking?.splitMarkdownHeadings ?? false,
    },
    embeddingModel: embedder.model,
    createdAt: new Date(),
  };
  await insertCollection(deps.store, record);
  return { collection: collectionMessage(record, 0, 0) };
}
