import { effectiveRate, sampleValue, sampled } from './sampling';

const ids = Array.from(
  { length: 20_000 },
  (_, i) => `0190f0f0-0000-7000-8000-${String(i).padStart(12, '0')}`,
);

describe('sampling', () => {
  it('makes the same choice for the same inference and evaluator every time', () => {
    for (const id of ids.slice(0, 200)) {
      expect(sampled(id, 'llm_judge@1', 0.3)).toBe(sampled(id, 'llm_judge@1', 0.3));
    }
  });

  it('chooses close to the rate of inferences', () => {
    for (const rate of [0.05, 0.3, 0.75]) {
      const share = ids.filter((id) => sampled(id, 'exact@1', rate)).length / ids.length;
      expect(Math.abs(share - rate)).toBeLessThan(0.02);
    }
  });

  it('chooses independently for two evaluators of one inference', () => {
    const both = ids.filter((id) => sampled(id, 'exact@1', 0.5) && sampled(id, 'regex@1', 0.5));
    expect(Math.abs(both.length / ids.length - 0.25)).toBeLessThan(0.02);
  });

  it('takes 0 and 1 for every inference', () => {
    expect(effectiveRate(0)).toBe(1);
    expect(ids.every((id) => sampled(id, 'exact@1', 0) && sampled(id, 'exact@1', 1))).toBe(true);
  });

  it('draws values in [0, 1)', () => {
    const values = ids.map((id) => sampleValue(id, 'length@1'));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });
});
