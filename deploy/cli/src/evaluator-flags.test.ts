import { evaluatorsOf, serviceLevelOf } from './evaluator-flags';

describe('evaluator flags', () => {
  it('reads ids with optional rates and pairs params by id', () => {
    expect(
      evaluatorsOf({
        evaluator: ['numeric_match@1', 'llm_judge@1:0.1'],
        evaluatorParams: ['llm_judge@1={"rubric":"a=b","judge_function":"judge"}'],
      }),
    ).toEqual([
      { evaluator: 'numeric_match@1', samplingRate: 1, paramsJson: '' },
      {
        evaluator: 'llm_judge@1',
        samplingRate: 0.1,
        paramsJson: '{"rubric":"a=b","judge_function":"judge"}',
      },
    ]);
    expect(evaluatorsOf({})).toEqual([]);
  });

  it('refuses a rate that is not a number and params for an evaluator not named', () => {
    expect(() => evaluatorsOf({ evaluator: ['exact@1:half'] })).toThrow(/'half'.*is not a rate/);
    expect(() => evaluatorsOf({ evaluator: ['exact@1'], evaluatorParams: ['regex@1={}'] })).toThrow(
      /regex@1 is not an --evaluator/,
    );
    expect(() => evaluatorsOf({ evaluatorParams: ['no-equals'] })).toThrow(/is not id=json/);
  });

  it('sets a service level only when one of its flags is given', () => {
    expect(serviceLevelOf({})).toBeUndefined();
    expect(serviceLevelOf({ maxLatencyMs: 2_500 })).toEqual({
      maxLatency: { seconds: 2n, nanos: 500_000_000 },
      maxCostNanoUsd: 0n,
    });
    expect(serviceLevelOf({ maxCostNanoUsd: 50_000n })).toEqual({
      maxLatency: undefined,
      maxCostNanoUsd: 50_000n,
    });
  });
});
