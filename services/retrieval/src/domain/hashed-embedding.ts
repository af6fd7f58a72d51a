// The local embedding model: words and their character trigrams hashed into a fixed number of
// signed buckets (feature hashing), weighted by log term frequency and L2-normalised, so cosine
// similarity measures shared words, with trigrams catching inflections ("founded"/"founder").
// It needs no model file and no download; its limits are those of lexical overlap (it knows no
// synonyms). README: how it measured against the words-only variant on HaluEval.
import { STOPWORDS } from './words';

export interface HashedEmbeddingOptions {
  dimensions: number;
  /** The weight of a word's character trigrams against the word itself; 0 leaves them out. */
  trigramWeight: number;
}

export const LOCAL_MODEL = 'local-hash-384';
export const LOCAL_OPTIONS: HashedEmbeddingOptions = { dimensions: 384, trigramWeight: 0.25 };

const WORD = /[\p{L}\p{N}]+/gu;

export function hashedEmbedding(text: string, options: HashedEmbeddingOptions): Float32Array {
  const counts = new Map<string, number>();
  for (const [word] of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    if (STOPWORDS.has(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const vector = new Float32Array(options.dimensions);
  for (const [word, count] of counts) {
    const weight = 1 + Math.log(count);
    add(vector, `w:${word}`, weight);
    if (options.trigramWeight > 0) {
      const padded = `^${word}$`;
      for (let i = 0; i + 3 <= padded.length; i++) {
        add(vector, `t:${padded.slice(i, i + 3)}`, weight * options.trigramWeight);
      }
    }
  }
  return normalised(vector);
}

/** Adds `weight` to the feature's bucket, with a sign from another bit of its hash. */
function add(vector: Float32Array, feature: string, weight: number): void {
  const hash = fnv1a(feature);
  vector[hash % vector.length] += hash & 0x80000000 ? -weight : weight;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function normalised(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i] *= scale;
  return vector;
}

/** The dot product: the cosine similarity of two normalised vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
