// Checks a function's retrieval and semantic cache settings. The collection is only checked for
// its form: it belongs to the retrieval service, and a function may name one created later (a
// request then fails naming the collection).
import type { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { validateCachePolicy } from './settings';

export const MAX_RETRIEVAL_TOP_K = 100;
/** Enough for any model's context window; a budget past the model's is the model's problem. */
export const MAX_CONTEXT_TOKENS = 1_000_000n;
const MAX_COLLECTION_CHARS = 128;

export function validateRetrieval(
  retrieval: router.RetrievalConfig | undefined,
  field: string,
): router.RetrievalConfig | undefined {
  if (!retrieval) return undefined;
  const { collection, topK, maxContextTokens, filter } = retrieval;
  if (collection.trim() === '' || collection.length > MAX_COLLECTION_CHARS) {
    throw new InvalidArgumentError(
      `${field}.collection`,
      `'${collection}' must be a collection name of 1 to ${MAX_COLLECTION_CHARS} characters`,
    );
  }
  if (!Number.isInteger(topK) || topK < 0 || topK > MAX_RETRIEVAL_TOP_K) {
    throw new InvalidArgumentError(
      `${field}.top_k`,
      `${topK} is out of range; must be from 0 to ${MAX_RETRIEVAL_TOP_K} (0 means 5)`,
    );
  }
  if (maxContextTokens < 0n || maxContextTokens > MAX_CONTEXT_TOKENS) {
    throw new InvalidArgumentError(
      `${field}.max_context_tokens`,
      `${maxContextTokens} is out of range; must be from 0 to ${MAX_CONTEXT_TOKENS} (0 means 1024)`,
    );
  }
  for (const key of Object.keys(filter)) {
    if (key === '') throw new InvalidArgumentError(`${field}.filter`, 'a key must not be empty');
  }
  return { collection, topK, maxContextTokens, filter: { ...filter } };
}

/** min_similarity 0 means the default; otherwise in (0, 1]. The ttl as a cache policy's. */
export function validateSemanticCache(
  policy: router.SemanticCachePolicy | undefined,
  field: string,
): router.SemanticCachePolicy | undefined {
  if (!policy) return undefined;
  const similarity = policy.minSimilarity;
  if (!Number.isFinite(similarity) || similarity < 0 || similarity > 1) {
    throw new InvalidArgumentError(
      `${field}.min_similarity`,
      `${similarity} is out of range; must be in (0, 1], or 0 for the default`,
    );
  }
  const { ttl } = validateCachePolicy({ ttl: policy.ttl }, field)!;
  return { minSimilarity: similarity, ttl };
}
