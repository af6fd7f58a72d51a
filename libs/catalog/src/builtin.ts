import { router } from '@keel/contracts';

/** The model a new tenant's default function uses: simulated, so Keel runs with no provider key. */
export const BUILTIN_DEFAULT_MODEL = 'sim-small';

/**
 * The catalog Keel ships with, at `version`: only models something serves with no
 * configuration, the simulated ones. Real providers' models are the operator's data (PutModel).
 *
 * The sim models cost what the models they stand in for cost (gpt-4o-mini and gpt-4o, list
 * prices per million tokens as published in August 2025 on
 * https://platform.openai.com/docs/pricing), so budgets behave in tests as in production.
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
        capabilities: ['streaming'],
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
        capabilities: ['streaming'],
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

/** `'0.075'` dollars → 75_000_000n nano-USD, exactly; more than 9 decimals is refused. */
export function nanoUsd(dollars: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(dollars);
  if (!match) throw new Error(`not a dollar amount with at most 9 decimals: ${dollars}`);
  return BigInt(match[1]) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
