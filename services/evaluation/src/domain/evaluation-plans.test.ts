import { router } from '@keel/contracts';
import { DEFAULT_EVALUATORS, EvaluationPlans } from './evaluation-plans';

const snapshot = (functions: Array<Partial<router.KeelFunction>>) =>
  router.PolicySnapshot.fromPartial({
    tenants: [{ tenantId: 'tenant-a', functions: functions.map((fn) => ({ ...fn })) }],
  });

describe('EvaluationPlans', () => {
  it('has no plan before the first snapshot', () => {
    expect(new EvaluationPlans().planOf('tenant-a', 'support.answer')).toBeNull();
  });

  it("runs a function's configured evaluators with their rates and parsed params", () => {
    const plans = new EvaluationPlans();
    const serviceLevel = { maxLatency: { seconds: 2n, nanos: 0 }, maxCostNanoUsd: 5_000n };
    plans.update(
      snapshot([
        {
          functionName: 'support.answer',
          evaluators: [
            { evaluator: 'length@1', samplingRate: 0.25, paramsJson: '' },
            { evaluator: 'non_empty@1', samplingRate: 0, paramsJson: '{}' },
          ],
          serviceLevel,
        },
      ]),
    );
    const plan = plans.planOf('tenant-a', 'support.answer')!;
    expect(plan.serviceLevel).toEqual(serviceLevel);
    expect(
      plan.evaluators.map(({ id, samplingRate, problem }) => ({ id, samplingRate, problem })),
    ).toEqual([
      { id: 'length@1', samplingRate: 0.25, problem: undefined },
      { id: 'non_empty@1', samplingRate: 0, problem: undefined },
    ]);
    expect(plan.evaluators.every((evaluator) => evaluator.runnable !== undefined)).toBe(true);
  });

  it('runs the defaults for a function without evaluators and for one it does not know', () => {
    const plans = new EvaluationPlans();
    plans.update(snapshot([{ functionName: 'bare' }]));
    expect(plans.planOf('tenant-a', 'bare')!.evaluators.map((e) => e.id)).toEqual(
      DEFAULT_EVALUATORS,
    );
    expect(plans.planOf('tenant-b', 'other')!.evaluators.map((e) => e.id)).toEqual(
      DEFAULT_EVALUATORS,
    );
  });

  it('names the problem of an evaluator this version does not know, instead of dropping it', () => {
    const plans = new EvaluationPlans();
    plans.update(
      snapshot([
        {
          functionName: 'support.answer',
          evaluators: [{ evaluator: 'telepathy@9', samplingRate: 1, paramsJson: '' }],
        },
      ]),
    );
    expect(plans.planOf('tenant-a', 'support.answer')!.evaluators).toEqual([
      { id: 'telepathy@9', samplingRate: 1, problem: 'telepathy@9 is not a known evaluator' },
    ]);
  });
});
