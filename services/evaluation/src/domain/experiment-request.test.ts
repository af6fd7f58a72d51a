import { evaluation, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { checkExperimentRequest } from './experiment-request';

const fn = router.KeelFunction.fromPartial({
  functionName: 'math',
  variants: [{ variantName: 'a' }, { variantName: 'b' }],
});

function refusal(request: Partial<evaluation.StartExperimentRequest>): InvalidArgumentError {
  try {
    checkExperimentRequest(evaluation.StartExperimentRequest.fromPartial(request), fn);
  } catch (error) {
    return error as InvalidArgumentError;
  }
  throw new Error('expected a refusal');
}

describe('checkExperimentRequest', () => {
  it('takes the variants, the gate, and 4 in flight by default', () => {
    const checked = checkExperimentRequest(
      evaluation.StartExperimentRequest.fromPartial({
        variantNames: ['b', 'a'],
        gate: { baselineVariant: 'a', maxScoreDrop: 0.1 },
      }),
      fn,
    );
    expect(checked).toMatchObject({ variantNames: ['b', 'a'], concurrency: 4 });
    expect(checked.gate.maxScoreDrop).toBe(0.1);
  });

  it.each([
    [{ variantNames: [] }, 'variant_names: name at least one variant of the function'],
    [
      { variantNames: ['a', 'c'] },
      "variant_names[1]: 'c' is not a variant of function 'math' (its variants: 'a', 'b')",
    ],
    [{ variantNames: ['a', 'a'] }, "variant_names[1]: 'a' is named twice"],
    [{ variantNames: ['a'], concurrency: 65 }, 'concurrency: 65 is outside 0 to 64'],
    [
      { variantNames: ['a'], gate: { minMeanScore: 1.5 } },
      'gate.min_mean_score: 1.5 is outside 0 to 1',
    ],
    [
      { variantNames: ['a'], gate: { baselineVariant: 'b' } },
      "gate.baseline_variant: 'b' is not one of the variants run (a)",
    ],
    [
      { variantNames: ['a'], gate: { maxScoreDrop: 0.1 } },
      'gate.baseline_variant: max_score_drop compares with a baseline: name one of the variants run',
    ],
  ] as Array<[Partial<evaluation.StartExperimentRequest>, string]>)(
    'refuses %j naming the field',
    (request, message) => {
      const error = refusal(request);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toBe(message);
    },
  );
});
