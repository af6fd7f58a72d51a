import { router } from '@keel/contracts';

/** The model a new tenant's default function uses: simulated, so Keel runs with no provider key. */
export const BUILTIN_DEFAULT_MODEL = 'sim-small';

/**
 * The catalog Keel ships with, at `version`.
 *
 * List prices per million tokens (input, output, cached input), standard tier, as published in
 * August 2025 on https://platform.openai.com/docs/pricing and
 * https://docs.anthropic.com/en/docs/about-claude/pricing ("cache hits" for cached input;
 * Anthropic's cache writes are billed here as plain input). Context windows and output limits
 * are from the same providers' model pages. The sim models cost what the models they stand
 * in for cost, so budgets behave in tests as they would in production.
 */
export function builtinCatalog(version: bigint): router.ModelCatalog {
  return router.ModelCatalog.fromPartial({
    version,
    defaultModel: BUILTIN_DEFAULT_MODEL,
    models: [
      {
        name: 'sim-small',
        provider: 'sim',
        providerModel: 'sim-small',
        tier: router.ModelTier.MODEL_TIER_SMALL,
        contextWindow: 128_000n,
        maxOutputTokens: 16_384n,
        price: perMillionTokens('0.15', '0.60', '0.075'),
        tokenizer: 'o200k_base',
        capabilities: ['chat', 'streaming'],
      },
      {
        name: 'sim-large',
        provider: 'sim',
        providerModel: 'sim-large',
        tier: router.ModelTier.MODEL_TIER_LARGE,
        contextWindow: 128_000n,
        maxOutputTokens: 16_384n,
        price: perMillionTokens('2.50', '10.00', '1.25'),
        tokenizer: 'o200k_base',
        capabilities: ['chat', 'streaming'],
      },
      {
        name: 'gpt-4o-mini',
        provider: 'openai',
        providerModel: 'gpt-4o-mini',
        tier: router.ModelTier.MODEL_TIER_SMALL,
        contextWindow: 128_000n,
        maxOutputTokens: 16_384n,
        price: perMillionTokens('0.15', '0.60', '0.075'),
        tokenizer: 'o200k_base',
        capabilities: ['chat', 'streaming', 'tools', 'vision'],
      },
      {
        name: 'gpt-4o',
        provider: 'openai',
        providerModel: 'gpt-4o',
        tier: router.ModelTier.MODEL_TIER_LARGE,
        contextWindow: 128_000n,
        maxOutputTokens: 16_384n,
        price: perMillionTokens('2.50', '10.00', '1.25'),
        tokenizer: 'o200k_base',
        capabilities: ['chat', 'streaming', 'tools', 'vision'],
      },
      {
        name: 'gpt-4.1-mini',
        provider: 'openai',
        providerModel: 'gpt-4.1-mini',
        tier: router.ModelTier.MODEL_TIER_MEDIUM,
        contextWindow: 1_047_576n,
        maxOutputTokens: 32_768n,
        price: perMillionTokens('0.40', '1.60', '0.10'),
        tokenizer: 'o200k_base',
        capabilities: ['chat', 'streaming', 'tools', 'vision'],
      },
      {
        name: 'gpt-4.1',
        provider: 'openai',
        providerModel: 'gpt-4.1',
        tier: router.ModelTier.MODEL_TIER_LARGE,
        contextWindow: 1_047_576n,
        maxOutputTokens: 32_768n,
        price: perMillionTokens('2.00', '8.00', '0.50'),
        tokenizer: 'o200k_base',
        capabilities: ['chat', 'streaming', 'tools', 'vision'],
      },
      {
        name: 'claude-3-5-haiku',
        provider: 'anthropic',
        providerModel: 'claude-3-5-haiku-20241022',
        tier: router.ModelTier.MODEL_TIER_SMALL,
        contextWindow: 200_000n,
        maxOutputTokens: 8_192n,
        price: perMillionTokens('0.80', '4.00', '0.08'),
        tokenizer: '',
        capabilities: ['chat', 'streaming', 'tools'],
      },
      {
        name: 'claude-sonnet-4',
        provider: 'anthropic',
        providerModel: 'claude-sonnet-4-20250514',
        tier: router.ModelTier.MODEL_TIER_LARGE,
        contextWindow: 200_000n,
        maxOutputTokens: 64_000n,
        price: perMillionTokens('3.00', '15.00', '0.30'),
        tokenizer: '',
        capabilities: ['chat', 'streaming', 'tools', 'vision'],
      },
    ],
  });
}

/** A price from the dollar figures a pricing page shows, converted exactly to nano-USD. */
function perMillionTokens(input: string, output: string, cachedInput: string): router.ModelPrice {
  return {
    inputNanoUsdPerMtok: nanoUsd(input),
    outputNanoUsdPerMtok: nanoUsd(output),
    cachedInputNanoUsdPerMtok: nanoUsd(cachedInput),
  };
}

function nanoUsd(dollars: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(dollars);
  if (!match) throw new Error(`not a dollar amount with at most 9 decimals: ${dollars}`);
  return BigInt(match[1]) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
