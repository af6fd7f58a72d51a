import { InvalidArgumentError } from '@keel/errors';
import { validateRetrieval, validateSemanticCache } from './retrieval-settings';

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.field;
    throw error;
  }
  throw new Error('accepted');
}

const retrieval = { collection: 'handbook', topK: 0, maxContextTokens: 0n, filter: {} };

describe('validateRetrieval', () => {
  it('keeps unset unset, and zeros that mean the defaults', () => {
    expect(validateRetrieval(undefined, 'retrieval')).toBeUndefined();
    expect(validateRetrieval(retrieval, 'retrieval')).toEqual(retrieval);
  });

  it.each([
    [{ collection: ' ' }, 'retrieval.collection'],
    [{ collection: 'c'.repeat(129) }, 'retrieval.collection'],
    [{ topK: -1 }, 'retrieval.top_k'],
    [{ topK: 101 }, 'retrieval.top_k'],
    [{ maxContextTokens: -5n }, 'retrieval.max_context_tokens'],
    [{ maxContextTokens: 1_000_001n }, 'retrieval.max_context_tokens'],
    [{ filter: { '': 'x' } }, 'retrieval.filter'],
  ])('refuses %p naming %s', (change, field) => {
    expect(fieldOf(() => validateRetrieval({ ...retrieval, ...change }, 'retrieval'))).toBe(field);
  });
});

describe('validateSemanticCache', () => {
  const ttl = { seconds: 60n, nanos: 0 };

  it('accepts 0 (the default) and similarities in (0, 1]', () => {
    for (const minSimilarity of [0, 0.5, 1]) {
      expect(validateSemanticCache({ minSimilarity, ttl }, 'semantic_cache')).toEqual({
        minSimilarity,
        ttl,
      });
    }
  });

  it.each([
    [{ minSimilarity: -0.1, ttl }, 'semantic_cache.min_similarity'],
    [{ minSimilarity: 1.01, ttl }, 'semantic_cache.min_similarity'],
    [{ minSimilarity: Number.NaN, ttl }, 'semantic_cache.min_similarity'],
    [{ minSimilarity: 0.9, ttl: undefined }, 'semantic_cache.ttl'],
    [{ minSimilarity: 0.9, ttl: { seconds: 0n, nanos: 0 } }, 'semantic_cache.ttl'],
    [{ minSimilarity: 0.9, ttl: { seconds: 86_400n, nanos: 1 } }, 'semantic_cache.ttl'],
  ])('refuses %p naming %s', (policy, field) => {
    expect(fieldOf(() => validateSemanticCache(policy, 'semantic_cache'))).toBe(field);
  });
});
