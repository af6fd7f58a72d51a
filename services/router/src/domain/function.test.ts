import { builtinCatalog } from '@keel/catalog';
import { router } from '@keel/contracts';
import { FailedPreconditionError, InvalidArgumentError } from '@keel/errors';
import { requireServedModels, validateFunction } from './function';

const catalog = builtinCatalog(4n);

function request(overrides: Partial<router.PutFunctionRequest> = {}): router.PutFunctionRequest {
  return router.PutFunctionRequest.fromPartial({
    functionName: 'support.answer',
    variants: [
      { variantName: 'small', modelChain: ['sim-small'], defaultMaxTokens: 256 },
      { variantName: 'large', modelChain: ['sim-large', 'sim-small'] },
    ],
    policy: { fixed: { variantName: 'large' } },
    ...overrides,
  });
}

/** The field an InvalidArgumentError names, and its message. */
function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('validateFunction', () => {
  it('accepts a valid definition and keeps its policy', () => {
    expect(validateFunction(request(), catalog)).toEqual({
      functionName: 'support.answer',
      variants: [
        { variantName: 'small', modelChain: ['sim-small'], defaultMaxTokens: 256 },
        { variantName: 'large', modelChain: ['sim-large', 'sim-small'], defaultMaxTokens: 0 },
      ],
      policy: { fixed: { variantName: 'large' } },
      evaluators: [],
    });
  });

  it('states an absent policy as fixed on the first variant', () => {
    for (const policy of [undefined, {}]) {
      expect(validateFunction(request({ policy }), catalog).policy).toEqual({
        fixed: { variantName: 'small' },
      });
    }
  });

  it.each([
    ['', 'function_name'],
    ['Support', 'function_name'],
    ['-leading-dash', 'function_name'],
    ['a'.repeat(65), 'function_name'],
  ])('refuses the function name %p', (functionName, field) => {
    expect(refusal(() => validateFunction(request({ functionName }), catalog)).field).toBe(field);
  });

  it('accepts names of 64 characters with dots, dashes and underscores', () => {
    const functionName = `a.b-c_${'d'.repeat(58)}`;
    expect(validateFunction(request({ functionName }), catalog).functionName).toBe(functionName);
  });

  it('refuses a function without variants', () => {
    expect(refusal(() => validateFunction(request({ variants: [] }), catalog)).field).toBe(
      'variants',
    );
  });

  it('refuses bad and repeated variant names, naming the variant', () => {
    const bad = request({
      variants: [{ variantName: 'Bad Name', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
    });
    expect(refusal(() => validateFunction(bad, catalog)).field).toBe('variants[0].variant_name');

    const repeated = request({
      variants: [
        { variantName: 'a', modelChain: ['sim-small'], defaultMaxTokens: 0 },
        { variantName: 'a', modelChain: ['sim-large'], defaultMaxTokens: 0 },
      ],
    });
    const { field, message } = refusal(() => validateFunction(repeated, catalog));
    expect(field).toBe('variants[1].variant_name');
    expect(message).toContain('variants[0]');
  });

  it('refuses an empty model chain and models outside the catalog', () => {
    const empty = request({
      variants: [{ variantName: 'a', modelChain: [], defaultMaxTokens: 0 }],
    });
    expect(refusal(() => validateFunction(empty, catalog)).field).toBe('variants[0].model_chain');

    const unknown = request({
      variants: [{ variantName: 'a', modelChain: ['sim-small', 'x'], defaultMaxTokens: 0 }],
      policy: undefined,
    });
    const { field, message } = refusal(() => validateFunction(unknown, catalog));
    expect(field).toBe('variants[0].model_chain[1]');
    expect(message).toContain("'x' is not in the catalog");
  });

  it('refuses negative default max tokens', () => {
    const negative = request({
      variants: [{ variantName: 'a', modelChain: ['sim-small'], defaultMaxTokens: -1 }],
      policy: undefined,
    });
    expect(refusal(() => validateFunction(negative, catalog)).field).toBe(
      'variants[0].default_max_tokens',
    );
  });

  it('refuses a fixed policy naming a variant that does not exist', () => {
    const { field, message } = refusal(() =>
      validateFunction(request({ policy: { fixed: { variantName: 'medium' } } }), catalog),
    );
    expect(field).toBe('policy.fixed.variant_name');
    expect(message).toContain("'medium'");
  });
});

describe('requireServedModels', () => {
  const withOpenAi = {
    ...catalog,
    models: [
      ...catalog.models,
      router.Model.fromPartial({ name: 'gpt-4o', provider: 'openai', providerModel: 'gpt-4o' }),
    ],
  };
  const definition = validateFunction(
    request({
      variants: [
        { variantName: 'small', modelChain: ['sim-small'], defaultMaxTokens: 0 },
        { variantName: 'large', modelChain: ['sim-large', 'gpt-4o'], defaultMaxTokens: 0 },
      ],
    }),
    withOpenAi,
  );

  it('passes chains whose models are served by sim or a configured provider', () => {
    expect(() => requireServedModels(definition, withOpenAi, new Set(['openai']))).not.toThrow();
  });

  it('refuses a chain naming a model whose provider is not configured, naming both', () => {
    const run = () => requireServedModels(definition, withOpenAi, new Set(['anthropic']));
    expect(run).toThrow(FailedPreconditionError);
    expect(run).toThrow(
      "variants[1].model_chain[1]: model 'gpt-4o' is served by provider 'openai', which is not configured",
    );
  });
});
