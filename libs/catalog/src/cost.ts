import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

const TOKENS_PER_MTOK = 1_000_000n;

/**
 * Whether a call is billed: it is when its usage has any input or output tokens, whether or
 * not it succeeded, since a provider that read the prompt and then failed still charges for it.
 */
export function isBilled(usage: common.Usage | undefined): boolean {
  return usage !== undefined && usage.inputTokens + usage.outputTokens > 0n;
}

/**
 * What one model call (one line item of the ledger) cost, in nano-USD, under one rounding rule.
 *
 * The exact cost in nano-USD × 1,000,000 is the sum of:
 * - uncached input: `input_tokens - cached_input_tokens` × the input price;
 * - cached input: `cached_input_tokens` × the cached-input price, or the input price when the
 *   cached-input price is 0 (a catalog that does not know a cached price never bills cached
 *   tokens below what the provider may charge);
 * - output: `output_tokens` × the output price;
 * (prices in nano-USD per million tokens). That sum is divided by 1,000,000 once, rounding
 * half up. All arithmetic is BigInt, so no count or price loses precision. An absent price is
 * proto3's default: every price 0.
 *
 * Throws InvalidArgumentError when a count or price is negative or cached input exceeds input.
 */
export function costOf(price: router.ModelPrice | undefined, usage: common.Usage): bigint {
  const input = nonNegative('usage.input_tokens', usage.inputTokens);
  const cached = nonNegative('usage.cached_input_tokens', usage.cachedInputTokens);
  const output = nonNegative('usage.output_tokens', usage.outputTokens);
  if (cached > input) {
    throw new InvalidArgumentError(
      'usage.cached_input_tokens',
      `${cached} exceeds input_tokens (${input}); cached tokens are a subset of input tokens`,
    );
  }
  const inputPrice = nonNegative('price.input_nano_usd_per_mtok', price?.inputNanoUsdPerMtok ?? 0n);
  const outputPrice = nonNegative(
    'price.output_nano_usd_per_mtok',
    price?.outputNanoUsdPerMtok ?? 0n,
  );
  const cachedPrice = nonNegative(
    'price.cached_input_nano_usd_per_mtok',
    price?.cachedInputNanoUsdPerMtok ?? 0n,
  );
  const exact =
    (input - cached) * inputPrice +
    cached * (cachedPrice === 0n ? inputPrice : cachedPrice) +
    output * outputPrice;
  return (exact + TOKENS_PER_MTOK / 2n) / TOKENS_PER_MTOK;
}

function nonNegative(field: string, value: bigint): bigint {
  if (value < 0n) throw new InvalidArgumentError(field, `must not be negative (got ${value})`);
  return value;
}
