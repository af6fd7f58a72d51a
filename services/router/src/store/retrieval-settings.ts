// The documents of a function's retrieval and semantic cache settings. An unset one is null
// (absent in documents written before it existed). A filter is stored as pairs: its keys are the
// tenant's metadata names, which may hold `.` or start with `$`, both unfit for a field name.
import type { router } from '@keel/contracts';

export interface RetrievalDoc {
  collection: string;
  top_k: number;
  max_context_tokens: bigint;
  filter: Array<{ key: string; value: string }>;
}

export interface SemanticCacheDoc {
  min_similarity: number;
  ttl_seconds: bigint;
  ttl_nanos: number;
}

export function retrievalDoc(retrieval: router.RetrievalConfig | undefined): RetrievalDoc | null {
  if (!retrieval) return null;
  return {
    collection: retrieval.collection,
    top_k: retrieval.topK,
    max_context_tokens: retrieval.maxContextTokens,
    filter: Object.entries(retrieval.filter).map(([key, value]) => ({ key, value })),
  };
}

export function retrievalOf(
  doc: RetrievalDoc | null | undefined,
): router.RetrievalConfig | undefined {
  if (!doc) return undefined;
  return {
    collection: doc.collection,
    topK: doc.top_k,
    maxContextTokens: BigInt(doc.max_context_tokens),
    filter: Object.fromEntries(doc.filter.map(({ key, value }) => [key, value])),
  };
}

export function semanticCacheDoc(
  policy: router.SemanticCachePolicy | undefined,
): SemanticCacheDoc | null {
  if (!policy?.ttl) return null;
  return {
    min_similarity: policy.minSimilarity,
    ttl_seconds: policy.ttl.seconds,
    ttl_nanos: policy.ttl.nanos,
  };
}

export function semanticCacheOf(
  doc: SemanticCacheDoc | null | undefined,
): router.SemanticCachePolicy | undefined {
  if (!doc) return undefined;
  return {
    minSimilarity: doc.min_similarity,
    ttl: { seconds: BigInt(doc.ttl_seconds), nanos: doc.ttl_nanos },
  };
}
