import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findModel, nanoUsd } from '@keel/catalog';
import { router } from '@keel/contracts';
import { parsePriceList } from './price-list';

const shipped = readFileSync(path.resolve(__dirname, '../../prices/models.json'), 'utf8');

describe('parsePriceList', () => {
  it('reads the shipped price list: its date, sources and models at exact nano-USD prices', () => {
    const list = parsePriceList(shipped);
    expect(list.asOf).toBe('2025-08-31');
    expect(Object.keys(list.sources).sort()).toEqual(['anthropic', 'openai']);
    expect(new Set(list.models.map((model) => model.provider))).toEqual(
      new Set(['openai', 'anthropic']),
    );
    const catalog = router.ModelCatalog.fromPartial({ models: list.models });
    expect(findModel(catalog, 'gpt-4o-mini')?.price).toEqual({
      inputNanoUsdPerMtok: 150_000_000n,
      outputNanoUsdPerMtok: 600_000_000n,
      cachedInputNanoUsdPerMtok: 75_000_000n,
      cacheWriteNanoUsdPerMtok: undefined,
      reasoningNanoUsdPerMtok: undefined,
    });
    expect(findModel(catalog, 'claude-sonnet-4')).toMatchObject({
      providerModel: 'claude-sonnet-4-20250514',
      tier: router.ModelTier.MODEL_TIER_LARGE,
      contextWindow: 200_000n,
      price: {
        inputNanoUsdPerMtok: nanoUsd('3'),
        outputNanoUsdPerMtok: nanoUsd('15'),
        cachedInputNanoUsdPerMtok: nanoUsd('0.30'),
        cacheWriteNanoUsdPerMtok: nanoUsd('3.75'),
      },
    });
    // Every model has a price: the list never adds an unpriced model.
    expect(list.models.every((model) => model.price !== undefined)).toBe(true);
  });

  it('refuses a list with a bad field, naming it', () => {
    const list = JSON.parse(shipped);
    list.models[1].usd_per_mtok.output = 2;
    expect(() => parsePriceList(JSON.stringify(list))).toThrow(
      /^models\.1\.usd_per_mtok\.output: /,
    );
    list.models[1].usd_per_mtok.output = '0.0000000001';
    expect(() => parsePriceList(JSON.stringify(list))).toThrow(/at most 9 decimals/);
    delete list.as_of;
    expect(() => parsePriceList(JSON.stringify(list))).toThrow(/^as_of: /);
    expect(() => parsePriceList('{')).toThrow(/^not JSON: /);
  });
});
