// The embedding models a collection or an Embed call may name, through the embedding cache: the
// local hashed model (computed in microseconds, so never cached) and OpenAI-compatible models
// named `<provider>/<model>` after a provider of the router's policy snapshot.
import { InvalidArgumentError } from '@keel/errors';
import type { Store } from '@keel/store';
import { type Embedder, textHash } from './domain/embedder';
import { LOCAL_MODEL, LOCAL_OPTIONS, hashedEmbedding } from './domain/hashed-embedding';
import { cacheEmbeddings, cachedEmbeddings } from './store/embedding-cache';

export const localEmbedder: Embedder = {
  model: LOCAL_MODEL,
  cacheable: false,
  embed: (texts) => Promise.resolve(texts.map((text) => hashedEmbedding(text, LOCAL_OPTIONS))),
};

/** Finds the remote embedder of a model name; undefined when none serves it. */
export type RemoteEmbedders = (model: string) => Embedder | undefined;

export class Embeddings {
  constructor(
    private readonly store: Store,
    private readonly remote: RemoteEmbedders,
  ) {}

  /** The embedder of `model` ('' is the local default); `field` names it in an error. */
  embedderFor(model: string, field: string): Embedder {
    if (model === '' || model === LOCAL_MODEL) return localEmbedder;
    const remote = this.remote(model);
    if (!remote) {
      throw new InvalidArgumentError(
        field,
        `unknown embedding model '${model}': use '${LOCAL_MODEL}' or '<provider>/<model>' of a configured OpenAI-compatible provider`,
      );
    }
    return remote;
  }

  /** Embeds `texts` for a tenant, reading and filling the cache when the model is remote. */
  async embed(tenantId: string, embedder: Embedder, texts: string[]): Promise<Float32Array[]> {
    if (!embedder.cacheable || texts.length === 0) return embedder.embed(texts);
    const hashes = texts.map(textHash);
    const cached = await cachedEmbeddings(this.store, tenantId, embedder.model, [
      ...new Set(hashes),
    ]);
    const missing = [...new Set(hashes.filter((hash) => !cached.has(hash)))];
    if (missing.length > 0) {
      const textOf = new Map(hashes.map((hash, i) => [hash, texts[i]]));
      const computed = await embedder.embed(missing.map((hash) => textOf.get(hash) as string));
      const entries = missing.map((hash, i) => ({ hash, vector: computed[i] }));
      await cacheEmbeddings(this.store, tenantId, embedder.model, entries);
      for (const { hash, vector } of entries) cached.set(hash, vector);
    }
    return hashes.map((hash) => cached.get(hash) as Float32Array);
  }
}
