// One collection's chunks in memory: a BM25 index (MiniSearch) and a vector index over the same
// chunks, searched one or both ways and fused. The store holds the truth; this is rebuilt from it.
import MiniSearch from 'minisearch';
import { matchesFilter } from '../domain/filters';
import { type Fused, type FusionWeights, type Ranked, fuseRanks } from '../domain/fusion';
import type { IndexedChunk } from '../domain/indexed-chunk';
import { STOPWORDS } from '../domain/words';
import { VectorIndex } from './vector-index';

export type SearchMode = 'hybrid' | 'lexical' | 'vector';

export interface SearchQuery {
  text: string;
  vector: Float32Array;
  topK: number;
  filter: Record<string, string>;
  mode: SearchMode;
  fusion: FusionWeights;
}

/** BM25's parameters, as MiniSearch names them (d: the BM25+ floor of a matching term). */
export const BM25 = { k: 1.2, b: 0.75, d: 0.5 };

/** How deep each list goes before fusion: results a list ranks lower add little. */
const FUSION_DEPTH = 50;

export class CollectionIndex {
  private readonly chunks = new Map<number, IndexedChunk>();
  private readonly byDocument = new Map<string, number[]>();
  private readonly lexical = new MiniSearch<{ id: number; text: string }>({
    fields: ['text'],
    processTerm: (term) => {
      const lower = term.toLowerCase();
      return STOPWORDS.has(lower) ? null : lower;
    },
  });
  /** The vector side alone: the benchmark measures its graph against exact search. */
  readonly vectors = new VectorIndex();
  private nextLabel = 1;

  get size(): number {
    return this.chunks.size;
  }

  /** Sets a document's chunks, replacing those it had (none: it is removed). */
  replaceDocument(documentId: string, chunks: IndexedChunk[]): void {
    this.replaceDocuments(new Map([[documentId, chunks]]));
  }

  /** Sets documents' chunks; their vectors go into the graph as one batch. */
  replaceDocuments(documents: Map<string, IndexedChunk[]>): void {
    const vectors: Array<{ label: number; vector: Float32Array }> = [];
    for (const [documentId, chunks] of documents) {
      this.removeDocument(documentId);
      if (chunks.length === 0) continue;
      const labels: number[] = [];
      for (const chunk of chunks) {
        const label = this.nextLabel++;
        this.chunks.set(label, chunk);
        this.lexical.add({ id: label, text: searchableText(chunk) });
        vectors.push({ label, vector: chunk.vector });
        labels.push(label);
      }
      this.byDocument.set(documentId, labels);
    }
    this.vectors.add(vectors);
  }

  removeDocument(documentId: string): void {
    for (const label of this.byDocument.get(documentId) ?? []) {
      const chunk = this.chunks.get(label);
      if (!chunk) continue;
      this.chunks.delete(label);
      this.lexical.discard(label);
      this.vectors.remove(label);
    }
    this.byDocument.delete(documentId);
  }

  search(query: SearchQuery): Fused<IndexedChunk>[] {
    const depth = Math.max(query.topK, FUSION_DEPTH);
    const allowed =
      Object.keys(query.filter).length === 0
        ? undefined
        : (label: number) => {
            const chunk = this.chunks.get(label);
            return chunk !== undefined && matchesFilter(chunk.metadata, query.filter);
          };
    const lexical = query.mode === 'vector' ? [] : this.lexicalSearch(query.text, depth, allowed);
    const vector =
      query.mode === 'lexical'
        ? []
        : this.vectors
            .search(query.vector, depth, allowed)
            .map((hit) => ({ key: hit.label, score: hit.similarity }));
    return fuseRanks(lexical, vector, query.fusion)
      .slice(0, query.topK)
      .flatMap((result) => {
        const chunk = this.chunks.get(result.key);
        return chunk ? [{ ...result, key: chunk }] : [];
      });
  }

  private lexicalSearch(
    text: string,
    depth: number,
    allowed: ((label: number) => boolean) | undefined,
  ): Ranked<number>[] {
    const results = this.lexical.search(text, {
      bm25: BM25,
      ...(allowed ? { filter: (result) => allowed(result.id as number) } : {}),
    });
    return results
      .slice(0, depth)
      .map((result) => ({ key: result.id as number, score: result.score }));
  }
}

/** The headings above a chunk are searched with its text: they often name what it is about. */
function searchableText(chunk: IndexedChunk): string {
  return chunk.headings.length === 0 ? chunk.text : `${chunk.headings.join('\n')}\n${chunk.text}`;
}
