// Reciprocal rank fusion: a result's score is the sum over the lists it appears in of
// weight / (k + rank). Ranks, not raw scores, are fused, since BM25 scores and cosine
// similarities are on scales that do not compare. The weights were tuned on the first half of
// HaluEval's questions (`npm run eval:retrieval`): there the local embeddings are a weaker copy
// of the lexical signal, so the vector side only settles near ties.

export interface FusionWeights {
  lexical: number;
  vector: number;
  /** Damps the lead of the first ranks; 60 in the original paper. */
  k: number;
}

export const DEFAULT_FUSION: FusionWeights = { lexical: 1, vector: 0.05, k: 20 };

export interface Ranked<K> {
  key: K;
  score: number;
}

export interface Fused<K> {
  key: K;
  score: number;
  /** 1-based; 0 when absent from that list. */
  lexicalRank: number;
  vectorRank: number;
  lexicalScore: number;
  vectorScore: number;
}

/** Fuses two ranked lists (best first) and returns the fused list, best first. */
export function fuseRanks<K>(
  lexical: Ranked<K>[],
  vector: Ranked<K>[],
  weights: FusionWeights,
): Fused<K>[] {
  const fused = new Map<K, Fused<K>>();
  const entry = (key: K) => {
    let found = fused.get(key);
    if (!found) {
      found = { key, score: 0, lexicalRank: 0, vectorRank: 0, lexicalScore: 0, vectorScore: 0 };
      fused.set(key, found);
    }
    return found;
  };
  lexical.forEach((result, i) => {
    const found = entry(result.key);
    found.lexicalRank = i + 1;
    found.lexicalScore = result.score;
    found.score += weights.lexical / (weights.k + i + 1);
  });
  vector.forEach((result, i) => {
    const found = entry(result.key);
    found.vectorRank = i + 1;
    found.vectorScore = result.score;
    found.score += weights.vector / (weights.k + i + 1);
  });
  return [...fused.values()].sort((a, b) => b.score - a.score || rankSum(a) - rankSum(b));
}

/** Ties go to the result ranked better overall; one missing from a list ranks last there. */
function rankSum(result: Fused<unknown>): number {
  return (result.lexicalRank || 1e9) + (result.vectorRank || 1e9);
}
