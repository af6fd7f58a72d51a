// Retrieve: the query embedded with the collection's model, then lexical and vector search over
// the collection's index, fused, filtered by metadata, best first.
import { retrieval } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type Principal, actingTenant } from '@keel/kit';
import type { SearchMode } from '../index/collection-index';
import { findCollection } from '../store/collections';
import type { RetrievalDeps } from './deps';
import { scoredChunkMessage } from './messages';
import { checkCollectionName } from './validate';

const DEFAULT_TOP_K = 5;
const MAX_TOP_K = 100;
const MAX_QUERY_CHARS = 32_768;
const { RetrievalMode } = retrieval;

const MODES: Record<number, SearchMode> = {
  [RetrievalMode.RETRIEVAL_MODE_UNSPECIFIED]: 'hybrid',
  [RetrievalMode.RETRIEVAL_MODE_LEXICAL]: 'lexical',
  [RetrievalMode.RETRIEVAL_MODE_VECTOR]: 'vector',
};

export async function retrieveRpc(
  deps: RetrievalDeps,
  principal: Principal,
  request: retrieval.RetrieveRequest,
): Promise<retrieval.RetrieveResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  const name = checkCollectionName(request.collectionName);
  if (request.query.trim() === '') throw new InvalidArgumentError('query', 'is empty');
  if (request.query.length > MAX_QUERY_CHARS) {
    throw new InvalidArgumentError('query', `at most ${MAX_QUERY_CHARS} characters`);
  }
  if (request.topK < 0 || request.topK > MAX_TOP_K) {
    throw new InvalidArgumentError('top_k', `must be 0 (meaning ${DEFAULT_TOP_K}) to ${MAX_TOP_K}`);
  }
  const mode = MODES[request.mode];
  if (!mode) throw new InvalidArgumentError('mode', `unknown retrieval mode ${request.mode}`);

  const collection = await findCollection(deps.store, tenantId, name);
  const embedder = deps.embeddings.embedderFor(collection.embeddingModel, 'embedding_model');
  const [vector] =
    mode === 'lexical'
      ? [new Float32Array(0)]
      : await deps.embeddings.embed(tenantId, embedder, [request.query]);
  const index = await deps.indexes.indexOf(tenantId, name);
  const results = index.search({
    text: request.query,
    vector,
    topK: request.topK || DEFAULT_TOP_K,
    filter: request.filter,
    mode,
    fusion: deps.fusion,
  });
  return { chunks: results.map(scoredChunkMessage) };
}
