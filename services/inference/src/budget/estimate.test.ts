import { router } from '@keel/contracts';
import { maxCostOf } from './estimate';

const model = (name: string, price?: Partial<router.ModelPrice>) =>
  router.Model.fromPartial({ name, price: price && router.ModelPrice.fromPartial(price) });

describe('maxCostOf', () => {
  it('bills every model of the chain once for the whole input and max_tokens out, each at its price', () => {
    const chain = [
      model('a', { inputNanoUsdPerMtok: 1_000_000n, outputNanoUsdPerMtok: 2_000_000n }),
      model('b', { inputNanoUsdPerMtok: 3_000_000n, outputNanoUsdPerMtok: 5_000_000n }),
    ];
    // a: 100 × 1 + 50 × 2; b: 100 × 3 + 50 × 5.
    expect(maxCostOf(chain, 100, 50)).toEqual({ nanoUsd: 200n + 550n });
  });

  it('prices the output as reasoning where reasoning costs more', () => {
    const chain = [
      model('r', {
        inputNanoUsdPerMtok: 1_000_000n,
        outputNanoUsdPerMtok: 2_000_000n,
        reasoningNanoUsdPerMtok: 8_000_000n,
      }),
    ];
    expect(maxCostOf(chain, 10, 10)).toEqual({ nanoUsd: 10n + 80n });
  });

  it('names the first model without a price: its cost has no bound', () => {
    const chain = [model('priced', { inputNanoUsdPerMtok: 1n }), model('free'), model('other')];
    expect(maxCostOf(chain, 10, 10)).toEqual({ unpricedModel: 'free' });
  });
});
