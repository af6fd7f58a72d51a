import { fuseRanks } from './fusion';

const ranked = (...keys: string[]) => keys.map((key, i) => ({ key, score: 10 - i }));

describe('fuseRanks', () => {
  it('scores each result by weight / (k + rank) summed over the lists it is in', () => {
    const fused = fuseRanks(ranked('a', 'b'), ranked('b', 'c'), { lexical: 1, vector: 0.5, k: 10 });
    expect(fused.map((r) => r.key)).toEqual(['b', 'a', 'c']);
    const b = fused[0];
    expect(b.score).toBeCloseTo(1 / 12 + 0.5 / 11);
    expect(b).toMatchObject({ lexicalRank: 2, vectorRank: 1, lexicalScore: 9, vectorScore: 10 });
    expect(fused[2]).toMatchObject({ key: 'c', lexicalRank: 0, vectorRank: 2, lexicalScore: 0 });
  });

  it('lets a small vector weight move a result up one lexical rank at the top, not two', () => {
    const weights = { lexical: 1, vector: 0.05, k: 20 };
    expect(fuseRanks(ranked('a', 'b'), ranked('b'), weights)[0].key).toBe('b');
    expect(fuseRanks(ranked('a', 'b', 'c'), ranked('c'), weights)[0].key).toBe('a');
  });

  it('returns nothing for two empty lists', () => {
    expect(fuseRanks([], [], { lexical: 1, vector: 1, k: 60 })).toEqual([]);
  });
});
