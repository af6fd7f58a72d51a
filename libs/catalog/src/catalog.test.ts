import { router } from '@keel/contracts';
import { BUILTIN_DEFAULT_MODEL, builtinCatalog, findModel, sameModels } from './index';

const { MODEL_TIER_SMALL: SMALL, MODEL_TIER_LARGE: LARGE } = router.ModelTier;

function mustFind(catalog: router.ModelCatalog, name: string): router.Model {
  const model = findModel(catalog, name);
  if (!model) throw new Error(`no ${name}`);
  return model;
}

describe('builtinCatalog', () => {
  const catalog = builtinCatalog(3n);

  it('has the version, the default model and every builtin model once', () => {
    expect(catalog.version).toBe(3n);
    expect(catalog.defaultModel).toBe(BUILTIN_DEFAULT_MODEL);
    expect(BUILTIN_DEFAULT_MODEL).toBe('sim-small');
    expect(catalog.models.map((model) => model.name)).toEqual([
      'sim-small',
      'sim-large',
      'gpt-4o-mini',
      'gpt-4o',
      'gpt-4.1-mini',
      'gpt-4.1',
      'claude-3-5-haiku',
      'claude-sonnet-4',
    ]);
  });

  it('prices the sim models like the models they stand in for', () => {
    const simSmall = mustFind(catalog, 'sim-small');
    expect(simSmall).toMatchObject({ provider: 'sim', tier: SMALL, tokenizer: 'o200k_base' });
    expect(simSmall.price).toEqual(mustFind(catalog, 'gpt-4o-mini').price);
    const simLarge = mustFind(catalog, 'sim-large');
    expect(simLarge).toMatchObject({ provider: 'sim', tier: LARGE });
    expect(simLarge.price).toEqual(mustFind(catalog, 'gpt-4o').price);
  });

  it('converts list prices per million tokens to nano-USD exactly', () => {
    expect(mustFind(catalog, 'gpt-4o-mini').price).toEqual({
      inputNanoUsdPerMtok: 150_000_000n, // $0.15
      outputNanoUsdPerMtok: 600_000_000n, // $0.60
      cachedInputNanoUsdPerMtok: 75_000_000n, // $0.075
    });
    expect(mustFind(catalog, 'gpt-4.1').price).toEqual({
      inputNanoUsdPerMtok: 2_000_000_000n,
      outputNanoUsdPerMtok: 8_000_000_000n,
      cachedInputNanoUsdPerMtok: 500_000_000n,
    });
    expect(mustFind(catalog, 'claude-sonnet-4').price).toEqual({
      inputNanoUsdPerMtok: 3_000_000_000n,
      outputNanoUsdPerMtok: 15_000_000_000n,
      cachedInputNanoUsdPerMtok: 300_000_000n,
    });
  });

  it('gives every model a provider, limits, a price and the right tokenizer', () => {
    for (const model of catalog.models) {
      expect(['sim', 'openai', 'anthropic']).toContain(model.provider);
      expect(model.providerModel).not.toBe('');
      expect(model.contextWindow).toBeGreaterThan(0n);
      expect(model.maxOutputTokens).toBeGreaterThan(0n);
      expect(model.maxOutputTokens).toBeLessThan(model.contextWindow);
      expect(model.price?.inputNanoUsdPerMtok).toBeGreaterThan(0n);
      expect(model.price?.outputNanoUsdPerMtok).toBeGreaterThan(0n);
      expect(model.price?.cachedInputNanoUsdPerMtok).toBeGreaterThan(0n);
      expect(model.tokenizer).toBe(model.provider === 'anthropic' ? '' : 'o200k_base');
    }
  });

  it('survives the wire unchanged', () => {
    const decoded = router.ModelCatalog.decode(router.ModelCatalog.encode(catalog).finish());
    expect(decoded).toEqual(catalog);
  });

  it('hands out a fresh catalog each time', () => {
    const mine = builtinCatalog(1n);
    mine.models[0].name = 'changed';
    expect(builtinCatalog(1n).models[0].name).toBe('sim-small');
  });
});

describe('sameModels', () => {
  it('ignores the version and the order of models', () => {
    const a = builtinCatalog(1n);
    const b = builtinCatalog(2n);
    b.models.reverse();
    expect(sameModels(a, b)).toBe(true);
  });

  it('sees a changed price, a changed default, an added or a removed model', () => {
    const base = builtinCatalog(1n);

    const repriced = builtinCatalog(1n);
    repriced.models[2].price = { ...repriced.models[2].price!, outputNanoUsdPerMtok: 1n };
    expect(sameModels(base, repriced)).toBe(false);

    const otherDefault = builtinCatalog(1n);
    otherDefault.defaultModel = 'gpt-4o';
    expect(sameModels(base, otherDefault)).toBe(false);

    const added = builtinCatalog(1n);
    added.models.push(router.Model.fromPartial({ name: 'new-model', provider: 'openai' }));
    expect(sameModels(base, added)).toBe(false);

    const removed = builtinCatalog(1n);
    removed.models.pop();
    expect(sameModels(base, removed)).toBe(false);

    const retiered = builtinCatalog(1n);
    retiered.models[0].capabilities = ['chat'];
    expect(sameModels(base, retiered)).toBe(false);
  });

  it('treats an absent price as an all-zero price', () => {
    const absent = router.ModelCatalog.fromPartial({ models: [{ name: 'free' }] });
    const zero = router.ModelCatalog.fromPartial({ models: [{ name: 'free', price: {} }] });
    expect(sameModels(absent, zero)).toBe(true);
  });
});

describe('findModel', () => {
  it('finds a model by name or answers null', () => {
    const catalog = builtinCatalog(1n);
    expect(findModel(catalog, 'gpt-4o')?.provider).toBe('openai');
    expect(findModel(catalog, 'gpt-5')).toBeNull();
    expect(findModel(catalog, '')).toBeNull();
  });
});
