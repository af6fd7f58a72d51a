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
 * What one model call (one line item of the ledger) cost, in nano-USD, under one rounding rule;
 * null when the model has no price (an unpriced call: its cost is unknown, never $0).
 *
 * The exact cost in nano-USD × 1,000,000 is the sum of, each at its price per million tokens:
 * - uncached input (`input_tokens` less the cache reads and writes) at the input price;
 * - cache reads (`cached_input_tokens`) at the cached-input price, or the input price when
 *   that is 0 (a catalog that does not know a cached price never bills below what the provider
 *   may charge);
 * - cache writes (`cache_write_input_tokens`) at the cache-write price, or the input price when
 *   it is unset;
 * - output other than reasoning at the output price;
 * - reasoning (`reasoning_tokens`, part of the output) at the reasoning price, or the output
 *   price when it is unset.
 * That sum is divided by 1,000,000 once, rounding half up. All arithmetic is BigInt, so no
 * count or price loses precision.
 *
 * Throws InvalidArgumentError when a count or price is negative, cache reads and writes exceed
 * the input, or reasoning exceeds the output.
 */
export function costOf(price: router.ModelPrice, usage: common.Usage): bigint;
export function costOf(price: router.ModelPrice | undefined, usage: common.Usage): bigint | null;
export function costOf(price: router.ModelPrice | undefined, usage: common.Usage): bigint | null {
  const tokens = tokenClasses(usage);
  if (!price) return null;
  const input = nonNegative('price.input_nano_usd_per_mtok', price.inputNanoUsdPerMtok);
  const output = nonNegative('price.output_nano_usd_per_mtok', price.outputNanoUsdPerMtok);
  const cached = nonNegative(
    'price.cached_input_nano_usd_per_mtok',
    price.cachedInputNanoUsdPerMtok,
  );
  const cacheWrite = nonNegative(
    'price.cache_write_nano_usd_per_mtok',
    price.cacheWriteNanoUsdPerMtok ?? input,
  );
  const reasoning = nonNegative(
    'price.reasoning_nano_usd_per_mtok',
    price.reasoningNanoUsdPerMtok ?? output,
  );
  const exact =
    tokens.uncachedInput * input +
    tokens.cacheRead * (cached === 0n ? input : cached) +
    tokens.cacheWrite * cacheWrite +
    tokens.plainOutput * output +
    tokens.reasoning * reasoning;
  return (exact + TOKENS_PER_MTOK / 2n) / TOKENS_PER_MTOK;
}

/** The usage split into the disjoint classes that are priced apart, checked. */
function tokenClasses(usage: common.Usage) {
  const input = nonNegative('usage.input_tokens', usage.inputTokens);
  const cacheRead = nonNegative('usage.cached_input_tokens', usage.cachedInputTokens);
  const cacheWrite = nonNegative('usage.cache_write_input_tokens', usage.cacheWriteInputTokens);
  const output = nonNegative('usage.output_tokens', usage.outputTokens);
  const reasoning = nonNegative('usage.reasoning_tokens', usage.reasoningTokens);
  if (cacheRead > input) {
    throw new InvalidArgumentError(
      'usage.cached_input_tokens',
      `${cacheRead} exceeds input_tokens (${input}); cached tokens are a subset of input tokens`,
    );
  }
  if (cacheRead + cacheWrite > input) {
    throw new InvalidArgumentError(
      'usage.cache_write_input_tokens',
      `${cacheWrite} with ${cacheRead} cached exceeds input_tokens (${input}); cache reads and ` +
        'writes are disjoint subsets of input tokens',
    );
  }
  if (reasoning > output) {
    throw new InvalidArgumentError(
      'usage.reasoning_tokens',
      `${reasoning} exceeds output_tokens (${output}); reasoning tokens are a subset of output tokens`,
    );
  }
  return {
    uncachedInput: input - cacheRead - cacheWrite,
    cacheRead,
    cacheWrite,
    plainOutput: output - reasoning,
    reasoning,
  };
}

function nonNegative(field: string, value: bigint): bigint {
  if (value < 0n) throw new InvalidArgumentError(field, `must not be negative (got ${value})`);
  return value;
}
