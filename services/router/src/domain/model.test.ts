import { builtinCatalog } from '@keel/catalog';
import { router } from '@keel/contracts';
import { FailedPreconditionError, InvalidArgumentError } from '@keel/errors';
import { catalogWithModels, effectiveTimeOf, requireProvider, validateModel } from './model';

function model(overrides: Partial<router.Model> = {}): router.Model {
  return router.Model.fromPartial({
    name: 'gpt-4o-mini',
    provider: 'openai',
    providerModel: 'gpt-4o-mini',
    tier: router.ModelTier.MODEL_TIER_SMALL,
    contextWindow: 128_000n,
    maxOutputTokens: 16_384n,
    price: {
      inputNanoUsdPerMtok: 150_000_000n,
      outputNanoUsdPerMtok: 600_000_000n,
      cachedInputNanoUsdPerMtok: 75_000_000n,
    },
    tokenizer: 'o200k_base',
    capabilities: ['streaming', 'tools'],
    ...overrides,
  });
}

function refusal(overrides: Partial<router.Model>): { field: string; message: string } {
  try {
    validateModel(model(overrides));
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('validateModel', () => {
  it('accepts a model, dropping repeated capabilities', () => {
    expect(validateModel(model({ capabilities: ['tools', 'streaming', 'tools'] }))).toEqual(
      model({ capabilities: ['tools', 'streaming'] }),
    );
  });

  it('accepts a free model with no exact tokenizer and no capabilities', () => {
    const free = {
      inputNanoUsdPerMtok: 0n,
      outputNanoUsdPerMtok: 0n,
      cachedInputNanoUsdPerMtok: 0n,
    };
    expect(validateModel(model({ price: free, tokenizer: '', capabilities: [] }))).toMatchObject({
      price: free,
    });
  });

  it('accepts a model without a price (unpriced), and keeps a cache-write and reasoning price', () => {
    expect(validateModel(model({ price: undefined })).price).toBeUndefined();
    const price = {
      inputNanoUsdPerMtok: 3_000_000_000n,
      outputNanoUsdPerMtok: 15_000_000_000n,
      cachedInputNanoUsdPerMtok: 300_000_000n,
      cacheWriteNanoUsdPerMtok: 3_750_000_000n,
      reasoningNanoUsdPerMtok: 15_000_000_000n,
    };
    expect(validateModel(model({ price })).price).toEqual(price);
  });

  it.each([
    ['model.name', { name: 'GPT 4o' }, 'must match'],
    ['model.provider', { provider: '' }, 'required'],
    ['model.provider_model', { providerModel: '' }, 'required'],
    ['model.provider_model', { providerModel: 'a\nb' }, 'control'],
    ['model.tier', { tier: router.ModelTier.MODEL_TIER_UNSPECIFIED }, 'not a tier'],
    ['model.context_window', { contextWindow: 0n }, 'more than 0'],
    ['model.max_output_tokens', { maxOutputTokens: 0n }, 'more than 0'],
    ['model.max_output_tokens', { maxOutputTokens: 200_000n }, 'context window'],
    [
      'model.price.input_nano_usd_per_mtok',
      {
        price: {
          inputNanoUsdPerMtok: -1n,
          outputNanoUsdPerMtok: 0n,
          cachedInputNanoUsdPerMtok: 0n,
        },
      },
      '0 or more',
    ],
    [
      'model.price.cache_write_nano_usd_per_mtok',
      { price: { ...model().price!, cacheWriteNanoUsdPerMtok: -1n } },
      '0 or more',
    ],
    ['model.tokenizer', { tokenizer: 'p50k_base' }, 'not a known tokenizer'],
    [
      'model.capabilities[1]',
      { capabilities: ['streaming', 'chat'] },
      'streaming, tools, json_mode, vision',
    ],
  ])('refuses a bad %s', (field, overrides, problem) => {
    const { field: named, message } = refusal(overrides as Partial<router.Model>);
    expect(named).toBe(field);
    expect(message).toContain(problem);
  });
});

describe('requireProvider', () => {
  it('passes sim and configured providers', () => {
    expect(() =>
      requireProvider({ name: 'sim-small', provider: 'sim' }, new Set(), 'f'),
    ).not.toThrow();
    expect(() =>
      requireProvider({ name: 'gpt-4o', provider: 'openai' }, new Set(['openai']), 'f'),
    ).not.toThrow();
  });

  it('refuses a provider that is not configured, naming the model and the provider', () => {
    const run = () =>
      requireProvider({ name: 'gpt-4o', provider: 'openai' }, new Set(), 'model.provider');
    expect(run).toThrow(FailedPreconditionError);
    expect(run).toThrow(
      "model.provider: model 'gpt-4o' is served by provider 'openai', which is not configured",
    );
  });
});

describe('catalogWithModels', () => {
  it('adds models after the built-in ones by name, replacing one of the same name', () => {
    const repriced = model({ name: 'sim-small', provider: 'sim', providerModel: 'sim-small' });
    const catalog = catalogWithModels(builtinCatalog(0n), [
      model({ name: 'zeta' }),
      model(),
      repriced,
    ]);
    expect(catalog.models.map((m) => m.name)).toEqual([
      'sim-small',
      'sim-large',
      'gpt-4o-mini',
      'zeta',
    ]);
    expect(catalog.models[0]).toBe(repriced);
    expect(catalog.defaultModel).toBe('sim-small');
  });
});

describe('effectiveTimeOf', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  it('takes effect now when unset, or at a time to come', () => {
    expect(effectiveTimeOf(undefined, now)).toBe(now);
    expect(effectiveTimeOf(now, now)).toBe(now);
    const later = new Date('2030-02-01T00:00:00Z');
    expect(effectiveTimeOf(later, now)).toBe(later);
  });

  it('refuses a time in the past with INVALID_ARGUMENT naming effective_at', () => {
    const run = () => effectiveTimeOf(new Date(now.getTime() - 1), now);
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(
      'effective_at: 2029-12-31T23:59:59.999Z is in the past (now 2030-01-01T00:00:00.000Z)',
    );
  });
});
