import { router } from '@keel/contracts';
import {
  BUILTIN_DEFAULT_MODEL,
  MODEL_CAPABILITIES,
  builtinCatalog,
  catalogInEffect,
  findModel,
  nanoUsd,
  sameModels,
} from './index';

const { MODEL_TIER_SMALL: SMALL, MODEL_TIER_LARGE: LARGE } = router.ModelTier;

function mustFind(catalog: router.ModelCatalog, name: string): router.Model {
  const model = findModel(catalog, name);
  if (!model) throw new Error(`no ${name}`);
  return model;
}

describe('builtinCatalog', () => {
  const catalog = builtinCatalog(3n);

  it('has the version, the default model and only the models served without configuration', () => {
    expect(catalog.version).toBe(3n);
    expect(catalog.defaultModel).toBe(BUILTIN_DEFAULT_MODEL);
    expect(BUILTIN_DEFAULT_MODEL).toBe('sim-small');
    expect(catalog.models.map((model) => [model.name, model.provider])).toEqual([
      ['sim-small', 'sim'],
      ['sim-large', 'sim'],
    ]);
  });

  it('prices the sim models like the models they stand in for (gpt-4o-mini, gpt-4o)', () => {
    expect(mustFind(catalog, 'sim-small')).toMatchObject({
      tier: SMALL,
      tokenizer: 'o200k_base',
      price: {
        inputNanoUsdPerMtok: 150_000_000n, // $0.15
        outputNanoUsdPerMtok: 600_000_000n, // $0.60
        cachedInputNanoUsdPerMtok: 75_000_000n, // $0.075
      },
    });
    expect(mustFind(catalog, 'sim-large')).toMatchObject({
      tier: LARGE,
      tokenizer: 'o200k_base',
      price: {
        inputNanoUsdPerMtok: 2_500_000_000n,
        outputNanoUsdPerMtok: 10_000_000_000n,
        cachedInputNanoUsdPerMtok: 1_250_000_000n,
      },
    });
  });

  it('gives every model limits, a price and only known capabilities', () => {
    for (const model of catalog.models) {
      expect(model.providerModel).not.toBe('');
      expect(model.contextWindow).toBeGreaterThan(0n);
      expect(model.maxOutputTokens).toBeGreaterThan(0n);
      expect(model.maxOutputTokens).toBeLessThan(model.contextWindow);
      expect(model.price?.inputNanoUsdPerMtok).toBeGreaterThan(0n);
      expect(model.price?.outputNanoUsdPerMtok).toBeGreaterThan(0n);
      expect(model.price?.cachedInputNanoUsdPerMtok).toBeGreaterThan(0n);
      for (const capability of model.capabilities) expect(MODEL_CAPABILITIES).toContain(capability);
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

describe('nanoUsd', () => {
  it('converts a dollar figure to nano-USD exactly, up to 9 decimals', () => {
    expect(nanoUsd('0.075')).toBe(75_000_000n);
    expect(nanoUsd('15')).toBe(15_000_000_000n);
    expect(nanoUsd('0.000000001')).toBe(1n);
    // 0.1 + 0.2 in floating point is 0.30000000000000004; the string path never rounds.
    expect(nanoUsd('0.30')).toBe(300_000_000n);
  });

  it('refuses what is not a plain non-negative amount with at most 9 decimals', () => {
    for (const bad of ['', '-1', '1e3', '0.0000000001', '$1', '1.', '.5']) {
      expect(() => nanoUsd(bad)).toThrow(/not a dollar amount/);
    }
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
    repriced.models[1].price = { ...repriced.models[1].price!, outputNanoUsdPerMtok: 1n };
    expect(sameModels(base, repriced)).toBe(false);

    const otherDefault = builtinCatalog(1n);
    otherDefault.defaultModel = 'sim-large';
    expect(sameModels(base, otherDefault)).toBe(false);

    const added = builtinCatalog(1n);
    added.models.push(router.Model.fromPartial({ name: 'new-model', provider: 'openai' }));
    expect(sameModels(base, added)).toBe(false);

    const removed = builtinCatalog(1n);
    removed.models.pop();
    expect(sameModels(base, removed)).toBe(false);

    const retiered = builtinCatalog(1n);
    retiered.models[0].capabilities = ['streaming', 'tools'];
    expect(sameModels(base, retiered)).toBe(false);
  });

  it('tells an absent price (unpriced) from an all-zero price (free)', () => {
    const absent = router.ModelCatalog.fromPartial({ models: [{ name: 'free' }] });
    const zero = router.ModelCatalog.fromPartial({ models: [{ name: 'free', price: {} }] });
    expect(sameModels(absent, zero)).toBe(false);
  });

  it('ignores when each catalog takes effect', () => {
    const now = builtinCatalog(1n);
    const later = { ...builtinCatalog(2n), effectiveAt: new Date('2030-01-01T00:00:00Z') };
    expect(sameModels(now, later)).toBe(true);
  });
});

describe('catalogInEffect', () => {
  const at = (version: bigint, iso?: string) => ({
    ...builtinCatalog(version),
    effectiveAt: iso === undefined ? undefined : new Date(iso),
  });
  const versionAt = (catalogs: router.ModelCatalog[], iso: string) =>
    catalogInEffect(catalogs, new Date(iso))?.version ?? null;

  it('picks the latest catalog whose effective time has come, an unset time from the start', () => {
    const catalogs = [at(1n), at(2n, '2030-01-01T00:00:00Z'), at(3n, '2030-02-01T00:00:00Z')];
    expect(versionAt(catalogs, '2029-12-31T23:59:59.999Z')).toBe(1n);
    expect(versionAt(catalogs, '2030-01-01T00:00:00Z')).toBe(2n);
    expect(versionAt(catalogs, '2030-01-31T00:00:00Z')).toBe(2n);
    expect(versionAt(catalogs, '2031-01-01T00:00:00Z')).toBe(3n);
  });

  it('lets the higher version win a tie, and a later effective time win over a higher version', () => {
    // 4 was scheduled for March; 5 took effect in January; 6 replaced 4 for March.
    const catalogs = [at(6n, '2030-03-01Z'), at(4n, '2030-03-01Z'), at(5n, '2030-01-01Z')];
    expect(versionAt(catalogs, '2030-02-01Z')).toBe(5n);
    expect(versionAt(catalogs, '2030-03-01Z')).toBe(6n);
  });

  it('answers null before any catalog is in effect', () => {
    expect(versionAt([at(1n, '2030-01-01Z')], '2029-01-01Z')).toBeNull();
    expect(versionAt([], '2029-01-01Z')).toBeNull();
  });
});

describe('findModel', () => {
  it('finds a model by name or answers null', () => {
    const catalog = builtinCatalog(1n);
    expect(findModel(catalog, 'sim-large')?.provider).toBe('sim');
    expect(findModel(catalog, 'gpt-4o')).toBeNull();
    expect(findModel(catalog, '')).toBeNull();
  });
});
