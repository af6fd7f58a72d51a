// Embed: vectors of texts by a model, through the embedding cache (the semantic cache's path).
import type { retrieval } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type Principal, actingTenant } from '@keel/kit';
import type { RetrievalDeps } from './deps';
import { checkCount } from './validate';

const MAX_TEXTS = 256;

export async function embedRpc(
  deps: RetrievalDeps,
  principal: Principal,
  request: retrieval.EmbedRequest,
): Promise<retrieval.EmbedResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  checkCount(request.texts.length, MAX_TEXTS, 'texts');
  if (request.texts.length === 0) throw new InvalidArgumentError('texts', 'is empty');
  const embedder = deps.embeddings.embedderFor(request.model, 'model');
  const vectors = await deps.embeddings.embed(tenantId, embedder, request.texts);
  return {
    model: embedder.model,
    embeddings: vectors.map((vector) => ({ values: Array.from(vector) })),
  };
}
