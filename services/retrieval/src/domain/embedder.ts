// What every embedding model offers, local or remote.
import { createHash } from 'node:crypto';

export interface Embedder {
  readonly model: string;
  /** True when reading a stored embedding costs less than computing it again. */
  readonly cacheable: boolean;
  /** One normalised vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** The key of a text in the embedding cache. */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
