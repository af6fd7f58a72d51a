import { addScore, binKeyOf, emptyTally, summaryOf } from './score-summary';

describe('score summaries', () => {
  const tallyOf = (scores: number[], failedBelow = 0.5) => {
    const tally = emptyTally();
    for (const score of scores) addScore(tally, score, score < failedBelow);
    return tally;
  };

  it('takes nearest-rank percentiles: the lowest score with ⌈p·n⌉ scores at or below it', () => {
    const summary = summaryOf(tallyOf([0.9, 0.1, 0.5, 0.3, 0.7]));
    expect(summary).toEqual({
      count: 5,
      meanScore: 0.5,
      p50Score: 0.5,
      p95Score: 0.9,
      failureRate: 0.4,
    });
  });

  it('bins scores to a thousandth, clamped to 0..1', () => {
    expect([0, 0.0004, 0.0006, 0.333, 1, 1.2, -0.1].map(binKeyOf)).toEqual([
      'b0',
      'b0',
      'b1',
      'b333',
      'b1000',
      'b1000',
      'b0',
    ]);
  });

  it('reports zeros for no evaluations', () => {
    expect(summaryOf(emptyTally())).toEqual({
      count: 0,
      meanScore: 0,
      p50Score: 0,
      p95Score: 0,
      failureRate: 0,
    });
  });
});
