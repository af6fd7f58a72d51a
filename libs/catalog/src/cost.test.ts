import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { costOf, isBilled } from './cost';

const price = (
  input: bigint,
  output: bigint,
  cachedInput = 0n,
  optional: Pick<router.ModelPrice, 'cacheWriteNanoUsdPerMtok' | 'reasoningNanoUsdPerMtok'> = {},
) =>
  router.ModelPrice.fromPartial({
    inputNanoUsdPerMtok: input,
    outputNanoUsdPerMtok: output,
    cachedInputNanoUsdPerMtok: cachedInput,
    ...optional,
  });
const usage = (
  input: bigint,
  output: bigint,
  cachedInput = 0n,
  more: Pick<common.Usage, 'cacheWriteInputTokens' | 'reasoningTokens'> | object = {},
) =>
  common.Usage.fromPartial({
    inputTokens: input,
    outputTokens: output,
    cachedInputTokens: cachedInput,
    ...more,
  });

// $0.01875 per million tokens: 18.75 nano-USD per token, not a whole number.
const FRACTIONAL = 18_750_000n;

describe('costOf', () => {
  it('prices a call at list price: 1M input + 1M output of gpt-4o-mini is $0.75', () => {
    const gpt4oMini = price(150_000_000n, 600_000_000n, 75_000_000n);
    expect(costOf(gpt4oMini, usage(1_000_000n, 1_000_000n))).toBe(750_000_000n);
  });

  it('rounds a line item half up, on the exact product', () => {
    const p = price(FRACTIONAL, 0n);
    expect(costOf(p, usage(1n, 0n))).toBe(19n); // 18.75
    expect(costOf(p, usage(2n, 0n))).toBe(38n); // 37.5
    expect(costOf(p, usage(4n, 0n))).toBe(75n); // 75 exactly: not 4 × 19
    expect(costOf(price(1n, 0n), usage(499_999n, 0n))).toBe(0n); // 0.499999
    expect(costOf(price(1n, 0n), usage(500_000n, 0n))).toBe(1n); // 0.5
  });

  it('rounds once per line item, not once per token class', () => {
    // Uncached input, cached input and output each cost 18.4: the 55.2 total rounds to 55,
    // where rounding each class first would give 18 + 18 + 18 = 54.
    const p = price(18_400_000n, 18_400_000n, 18_400_000n);
    expect(costOf(p, usage(2n, 1n, 1n))).toBe(55n);
  });

  it('prices cached input tokens at the cached-input price', () => {
    // gpt-4o: $2.50 input, $10 output, $1.25 cached input.
    const gpt4o = price(2_500_000_000n, 10_000_000_000n, 1_250_000_000n);
    // 600k uncached × $2.50 + 400k cached × $1.25 + 100k output × $10 = 1.5 + 0.5 + 1 = $3.
    expect(costOf(gpt4o, usage(1_000_000n, 100_000n, 400_000n))).toBe(3_000_000_000n);
    // All input cached.
    expect(costOf(gpt4o, usage(1_000_000n, 0n, 1_000_000n))).toBe(1_250_000_000n);
  });

  it('prices cached input at the input price when the cached-input price is 0', () => {
    const noCachedPrice = price(2_000_000_000n, 0n, 0n);
    expect(costOf(noCachedPrice, usage(1_000_000n, 0n, 600_000n))).toBe(2_000_000_000n);
  });

  it('stays exact for huge counts', () => {
    const tokens = 2n ** 62n; // 4611686018427387904
    const p = price(FRACTIONAL, 3_000_000_000n);
    // 2^62 × 18.75 and 2^62 × 3000, exactly.
    expect(costOf(p, usage(tokens, tokens))).toBe(
      86_469_112_845_513_523_200n + 13_835_058_055_282_163_712_000n,
    );
    // (2^62 + 1) × 18.75 = 86469112845513523218.75, rounded up.
    expect(costOf(p, usage(tokens + 1n, 0n))).toBe(86_469_112_845_513_523_219n);
  });

  it('prices cache writes at the cache-write price, apart from cache reads', () => {
    // claude-sonnet-4: $3 input, $15 output, $0.30 cache read, $3.75 cache write.
    const sonnet = price(3_000_000_000n, 15_000_000_000n, 300_000_000n, {
      cacheWriteNanoUsdPerMtok: 3_750_000_000n,
    });
    // 100k uncached × $3 + 200k read × $0.30 + 200k written × $3.75 = 0.3 + 0.06 + 0.75 = $1.11.
    const call = usage(500_000n, 0n, 200_000n, { cacheWriteInputTokens: 200_000n });
    expect(costOf(sonnet, call)).toBe(1_110_000_000n);
  });

  it('prices cache writes at the input price when the cache-write price is unset', () => {
    const noWritePrice = price(3_000_000_000n, 0n, 300_000_000n);
    const call = usage(1_000_000n, 0n, 0n, { cacheWriteInputTokens: 1_000_000n });
    expect(costOf(noWritePrice, call)).toBe(3_000_000_000n);
  });

  it('prices reasoning tokens at the reasoning price, as part of the output', () => {
    const p = price(0n, 4_000_000_000n, 0n, { reasoningNanoUsdPerMtok: 10_000_000_000n });
    // 300k plain output × $4 + 700k reasoning × $10 = 1.2 + 7 = $8.20.
    expect(costOf(p, usage(0n, 1_000_000n, 0n, { reasoningTokens: 700_000n }))).toBe(
      8_200_000_000n,
    );
  });

  it('prices reasoning tokens at the output price when the reasoning price is unset', () => {
    // o4-mini: $1.10 input, $4.40 output; reasoning is billed as output.
    const o4Mini = price(1_100_000_000n, 4_400_000_000n, 275_000_000n);
    const call = usage(1_000_000n, 1_000_000n, 0n, { reasoningTokens: 900_000n });
    expect(costOf(o4Mini, call)).toBe(5_500_000_000n);
  });

  it('prices a free model (every price 0) at 0', () => {
    expect(costOf(price(0n, 0n), usage(1_000n, 1_000n))).toBe(0n);
    expect(costOf(price(1n, 1n), usage(0n, 0n))).toBe(0n);
  });

  it('returns null, never 0, for a model without a price', () => {
    expect(costOf(undefined, usage(1_000n, 1_000n))).toBeNull();
    expect(costOf(undefined, usage(0n, 0n))).toBeNull();
  });

  it('rejects negative counts and prices, and a part of the tokens larger than the whole', () => {
    const p = price(1n, 1n);
    expect(() => costOf(p, usage(-1n, 0n))).toThrow(InvalidArgumentError);
    expect(() => costOf(p, usage(1n, -1n))).toThrow(/usage.output_tokens: must not be negative/);
    expect(() => costOf(p, usage(0n, 0n, -1n))).toThrow(/usage.cached_input_tokens/);
    expect(() => costOf(p, usage(10n, 0n, 11n))).toThrow(
      /usage.cached_input_tokens: 11 exceeds input_tokens \(10\)/,
    );
    expect(() => costOf(price(-1n, 0n), usage(1n, 0n))).toThrow(
      /price.input_nano_usd_per_mtok: must not be negative/,
    );
    expect(() => costOf(p, usage(10n, 0n, 6n, { cacheWriteInputTokens: 5n }))).toThrow(
      /usage.cache_write_input_tokens: 5 with 6 cached exceeds input_tokens \(10\)/,
    );
    expect(() => costOf(p, usage(0n, 3n, 0n, { reasoningTokens: 4n }))).toThrow(
      /usage.reasoning_tokens: 4 exceeds output_tokens \(3\)/,
    );
    expect(() =>
      costOf(price(1n, 1n, 0n, { reasoningNanoUsdPerMtok: -1n }), usage(1n, 1n)),
    ).toThrow(/price.reasoning_nano_usd_per_mtok: must not be negative/);
    // Bad usage is refused whether or not the model has a price.
    expect(() => costOf(undefined, usage(1n, -1n))).toThrow(/usage.output_tokens/);
  });
});

describe('isBilled', () => {
  it('bills a call with any input or output tokens', () => {
    expect(isBilled(usage(10n, 0n))).toBe(true);
    expect(isBilled(usage(0n, 3n))).toBe(true);
    expect(isBilled(usage(10n, 5n, 10n))).toBe(true);
  });

  it('bills no call without tokens or without usage', () => {
    expect(isBilled(usage(0n, 0n))).toBe(false);
    expect(isBilled(undefined)).toBe(false);
  });
});
