import { LOCAL_OPTIONS, dot, hashedEmbedding } from './hashed-embedding';

const embed = (text: string) => hashedEmbedding(text, LOCAL_OPTIONS);

describe('hashedEmbedding', () => {
  it('is a unit vector of the configured dimensions, the same for the same text', () => {
    const vector = embed('Polaris Industries acquired Aixam');
    expect(vector).toHaveLength(384);
    expect(dot(vector, vector)).toBeCloseTo(1, 5);
    expect(embed('Polaris Industries acquired Aixam')).toEqual(vector);
  });

  it('ranks a text sharing words and word stems above one sharing none', () => {
    const query = embed('Who founded the magazine?');
    const related = embed('The magazine founder started it in 1844.');
    const unrelated = embed('Trains leave the station every hour.');
    expect(dot(query, related)).toBeGreaterThan(dot(query, unrelated) + 0.2);
  });

  it('ignores case and stopwords', () => {
    expect(dot(embed('The Oberoi Group'), embed('oberoi group'))).toBeCloseTo(1, 5);
  });

  it('gives an empty text the zero vector', () => {
    expect(Array.from(embed('the of')).every((v) => v === 0)).toBe(true);
  });
});
