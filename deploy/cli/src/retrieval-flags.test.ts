import { retrievalOf, semanticCacheOf } from './retrieval-flags';

describe('retrieval and semantic cache flags', () => {
  it('builds the retrieval config from the collection, its options and filter pairs', () => {
    expect(
      retrievalOf({
        collection: 'handbook',
        topK: 8,
        maxContextTokens: 2048n,
        filter: ['lang=en', 'path=a=b'],
      }),
    ).toEqual({
      collection: 'handbook',
      topK: 8,
      maxContextTokens: 2048n,
      filter: { lang: 'en', path: 'a=b' },
    });
    expect(retrievalOf({})).toBeUndefined();
  });

  it('refuses retrieval options without a collection, and a filter that is not a pair', () => {
    expect(() => retrievalOf({ topK: 3 })).toThrow(/need --collection/);
    expect(() => retrievalOf({ collection: 'c', filter: ['lang'] })).toThrow(
      /'lang' is not key=value/,
    );
  });

  it('builds the semantic cache policy from its ttl, the similarity 0 (default) unless given', () => {
    expect(semanticCacheOf({ semanticCacheTtl: 600n })).toEqual({
      minSimilarity: 0,
      ttl: { seconds: 600n, nanos: 0 },
    });
    expect(semanticCacheOf({ semanticCacheTtl: 60n, semanticCacheMinSimilarity: 0.97 })).toEqual({
      minSimilarity: 0.97,
      ttl: { seconds: 60n, nanos: 0 },
    });
    expect(semanticCacheOf({})).toBeUndefined();
    expect(() => semanticCacheOf({ semanticCacheMinSimilarity: 0.9 })).toThrow(
      /needs --semantic-cache-ttl/,
    );
  });
});
