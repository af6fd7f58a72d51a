import { DEFAULT_FUSION } from '../domain/fusion';
import { LOCAL_OPTIONS, hashedEmbedding } from '../domain/hashed-embedding';
import type { IndexedChunk } from '../domain/indexed-chunk';
import { CollectionIndex } from './collection-index';

function chunk(documentId: string, ordinal: number, text: string, metadata = {}): IndexedChunk {
  return {
    chunkId: `${documentId}#${ordinal}`,
    documentId,
    ordinal,
    text,
    metadata,
    tokenCount: 0,
    headings: [],
    vector: hashedEmbedding(text, LOCAL_OPTIONS),
  };
}

const search = (index: CollectionIndex, text: string, filter = {}) =>
  index
    .search({
      text,
      vector: hashedEmbedding(text, LOCAL_OPTIONS),
      topK: 10,
      filter,
      mode: 'hybrid',
      fusion: DEFAULT_FUSION,
    })
    .map((result) => result.key.chunkId);

describe('CollectionIndex', () => {
  it('replaces a document’s chunks and forgets the old ones in both searches', () => {
    const index = new CollectionIndex();
    index.replaceDocument('d', [chunk('d', 0, 'red apples'), chunk('d', 1, 'green pears')]);
    index.replaceDocument('d', [chunk('d', 0, 'blue plums')]);
    expect(index.size).toBe(1);
    expect(search(index, 'green pears')).toEqual(['d#0']);
    expect(search(index, 'plums')).toEqual(['d#0']);
    index.removeDocument('d');
    expect(search(index, 'plums')).toEqual([]);
  });

  it('keeps only chunks whose metadata has every pair of the filter', () => {
    const index = new CollectionIndex();
    index.replaceDocument('a', [chunk('a', 0, 'refund policy', { lang: 'en', tier: 'pro' })]);
    index.replaceDocument('b', [chunk('b', 0, 'refund policy', { lang: 'en' })]);
    expect(search(index, 'refund', { lang: 'en', tier: 'pro' })).toEqual(['a#0']);
  });
});
