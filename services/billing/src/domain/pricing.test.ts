import { builtinCatalog } from '@keel/catalog';
import { common, inference, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { isBilled, priceAttempts, totalOf } from './pricing';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

const catalog = builtinCatalog(1n);

const usage = (fields: Partial<common.Usage>) => common.Usage.fromPartial(fields);

function attempt(fields: Partial<inference.Attempt>): inference.Attempt {
  return inference.Attempt.fromPartial({ provider: 'sim', status: OK, ...fields });
}

describe('isBilled', () => {
  it('bills an attempt with tokens, failed or not, and no attempt without', () => {
    const tokens = (input: bigint, output: bigint) =>
      usage({ inputTokens: input, outputTokens: output });
    expect(isBilled(attempt({ usage: tokens(10n, 0n) }))).toBe(true);
    expect(isBilled(attempt({ usage: tokens(0n, 3n) }))).toBe(true);
    expect(isBilled(attempt({ status: FAILED, usage: tokens(10n, 0n) }))).toBe(true);
    expect(isBilled(attempt({ status: FAILED, usage: tokens(0n, 0n) }))).toBe(false);
    expect(isBilled(attempt({ status: FAILED }))).toBe(false);
  });
});

describe('priceAttempts', () => {
  it('prices a line item per sent attempt at the catalog price, and sums them', () => {
    const bill = priceAttempts(
      [
        // Timed out before the provider counted anything: a line item at zero.
        attempt({ model: 'sim-small', status: FAILED }),
        // Failed after reading the prompt: billed for its input.
        attempt({
          model: 'sim-large',
          status: FAILED,
          usage: usage({ inputTokens: 1_000n }),
        }),
        attempt({
          model: 'sim-small',
          usage: usage({ inputTokens: 1_000n, cachedInputTokens: 200n, outputTokens: 500n }),
        }),
      ],
      catalog,
    );

    expect(bill?.lineItems).toEqual([
      {
        model: 'sim-small',
        provider: 'sim',
        usage: undefined,
        costNanoUsd: 0n,
        failed: true,
        unpriced: false,
      },
      {
        model: 'sim-large',
        provider: 'sim',
        usage: expect.objectContaining({ inputTokens: 1_000n }),
        // 1,000 × $2.50 per million.
        costNanoUsd: 2_500_000n,
        failed: true,
        unpriced: false,
      },
      {
        model: 'sim-small',
        provider: 'sim',
        usage: expect.objectContaining({ inputTokens: 1_000n, outputTokens: 500n }),
        // 800 × $0.15 + 200 cached × $0.075 + 500 × $0.60, per million.
        costNanoUsd: 120_000n + 15_000n + 300_000n,
        failed: false,
        unpriced: false,
      },
    ]);
    expect(bill?.totalNanoUsd).toBe(2_935_000n);
  });

  it('rounds each line item once and sums the rounded items exactly', () => {
    // 1 input token of sim-small is 150 nano-USD; 1 output token 600.
    const items = priceAttempts(
      [
        attempt({ model: 'sim-small', usage: usage({ inputTokens: 1n }) }),
        attempt({ model: 'sim-small', usage: usage({ outputTokens: 1n }) }),
      ],
      catalog,
    )?.lineItems;
    expect(items?.map((item) => item.costNanoUsd)).toEqual([150n, 600n]);
    expect(totalOf(items ?? [])).toBe(750n);
    expect(totalOf([])).toBe(0n);
  });

  it('bills nothing when no attempt was sent', () => {
    expect(priceAttempts([], catalog)).toBeNull();
    const skipped = attempt({ model: 'sim-small', status: FAILED, skipped: true });
    expect(priceAttempts([skipped], catalog)).toBeNull();
  });

  it('records a sent attempt with no tokens as a failed line item at zero', () => {
    const bill = priceAttempts([attempt({ model: 'sim-small', status: FAILED })], catalog);
    expect(bill?.lineItems).toEqual([expect.objectContaining({ costNanoUsd: 0n, failed: true })]);
    expect(bill?.totalNanoUsd).toBe(0n);
  });

  it('marks a billed attempt of a model without a price unpriced, at zero, not free', () => {
    const withUnpriced = router.ModelCatalog.fromPartial({
      ...catalog,
      models: [...catalog.models, { name: 'new-model', provider: 'sim' }],
    });
    const bill = priceAttempts(
      [
        attempt({ model: 'new-model', status: FAILED, usage: usage({ inputTokens: 7n }) }),
        attempt({ model: 'sim-small', usage: usage({ inputTokens: 1n }) }),
      ],
      withUnpriced,
    );
    expect(
      bill?.lineItems.map(({ model, costNanoUsd, unpriced }) => [model, costNanoUsd, unpriced]),
    ).toEqual([
      ['new-model', 0n, true],
      ['sim-small', 150n, false],
    ]);
    expect(bill?.totalNanoUsd).toBe(150n);
  });

  it('marks a billed attempt whose model the catalog version does not have unpriced', () => {
    const bill = priceAttempts(
      [attempt({ model: 'gpt-9', usage: usage({ inputTokens: 1n }) })],
      catalog,
    );
    expect(bill?.lineItems).toEqual([
      expect.objectContaining({ model: 'gpt-9', costNanoUsd: 0n, unpriced: true }),
    ]);
  });

  it('prices cache reads, cache writes and reasoning tokens apart', () => {
    const priced = router.ModelCatalog.fromPartial({
      version: 3n,
      models: [
        {
          name: 'thinker',
          provider: 'sim',
          price: {
            inputNanoUsdPerMtok: 3_000_000_000n,
            outputNanoUsdPerMtok: 15_000_000_000n,
            cachedInputNanoUsdPerMtok: 300_000_000n,
            cacheWriteNanoUsdPerMtok: 3_750_000_000n,
            reasoningNanoUsdPerMtok: 20_000_000_000n,
          },
        },
      ],
    });
    const bill = priceAttempts(
      [
        attempt({
          model: 'thinker',
          usage: usage({
            inputTokens: 1_000n,
            cachedInputTokens: 500n,
            cacheWriteInputTokens: 200n,
            outputTokens: 100n,
            reasoningTokens: 60n,
          }),
        }),
      ],
      priced,
    );
    // 300 × $3 + 500 × $0.30 + 200 × $3.75 + 40 × $15 + 60 × $20, per million.
    expect(bill?.totalNanoUsd).toBe(900_000n + 150_000n + 750_000n + 600_000n + 1_200_000n);
  });

  it('prices an unbilled attempt at zero even when the catalog lacks its model', () => {
    const bill = priceAttempts(
      [
        attempt({ model: 'retired-model', status: FAILED }),
        attempt({ model: 'sim-small', usage: usage({ inputTokens: 1n }) }),
      ],
      catalog,
    );
    expect(bill?.totalNanoUsd).toBe(150n);
  });

  it('refuses usage that cannot be priced, naming the attempt', () => {
    const price = () =>
      priceAttempts(
        [attempt({ model: 'sim-small', usage: usage({ inputTokens: 1n, cachedInputTokens: 2n }) })],
        catalog,
      );
    expect(price).toThrow(InvalidArgumentError);
    expect(price).toThrow(/^attempts\[0\]: usage\.cached_input_tokens: 2 exceeds input_tokens/);
  });

  it('prices a model at a zero price as zero, and priced', () => {
    const free = router.ModelCatalog.fromPartial({
      version: 2n,
      models: [{ name: 'free', provider: 'sim', price: {} }],
    });
    const bill = priceAttempts(
      [attempt({ model: 'free', usage: usage({ inputTokens: 9n }) })],
      free,
    );
    expect(bill?.totalNanoUsd).toBe(0n);
    expect(bill?.lineItems[0].unpriced).toBe(false);
  });
});
