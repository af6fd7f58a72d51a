// Catalog data for tests that need models of real providers beside the built-in sim ones, as an
// operator adds them with PutModel. List prices per million tokens (input, output, cached
// input), standard tier, as published in August 2025 on https://platform.openai.com/docs/pricing
// and https://docs.anthropic.com/en/docs/about-claude/pricing; limits from the providers' model
// pages.
import { builtinCatalog, nanoUsd } from '@keel/catalog';
import { router } from '@keel/contracts';

const { MODEL_TIER_SMALL, MODEL_TIER_MEDIUM, MODEL_TIER_LARGE } = router.ModelTier;

function model(
  name: string,
  provider: string,
  providerModel: string,
  tier: router.ModelTier,
  limits: [contextWindow: bigint, maxOutputTokens: bigint],
  dollarsPerMtok: [input: string, output: string, cachedInput: string],
  tokenizer: string,
  capabilities: string[],
): router.Model {
  return router.Model.fromPartial({
    name,
    provider,
    providerModel,
    tier,
    contextWindow: limits[0],
    maxOutputTokens: limits[1],
    price: {
      inputNanoUsdPerMtok: nanoUsd(dollarsPerMtok[0]),
      outputNanoUsdPerMtok: nanoUsd(dollarsPerMtok[1]),
      cachedInputNanoUsdPerMtok: nanoUsd(dollarsPerMtok[2]),
    },
    tokenizer,
    capabilities,
  });
}

const ALL = ['streaming', 'tools', 'json_mode', 'vision'];

/** gpt-4o-mini, gpt-4o, gpt-4.1-mini, gpt-4.1 (provider `openai`), claude-3-5-haiku and claude-sonnet-4 (`anthropic`). */
export function exampleProviderModels(): router.Model[] {
  return [
    model(
      'gpt-4o-mini',
      'openai',
      'gpt-4o-mini',
      MODEL_TIER_SMALL,
      [128_000n, 16_384n],
      ['0.15', '0.60', '0.075'],
      'o200k_base',
      ALL,
    ),
    model(
      'gpt-4o',
      'openai',
      'gpt-4o',
      MODEL_TIER_LARGE,
      [128_000n, 16_384n],
      ['2.50', '10.00', '1.25'],
      'o200k_base',
      ALL,
    ),
    model(
      'gpt-4.1-mini',
      'openai',
      'gpt-4.1-mini',
      MODEL_TIER_MEDIUM,
      [1_047_576n, 32_768n],
      ['0.40', '1.60', '0.10'],
      'o200k_base',
      ALL,
    ),
    model(
      'gpt-4.1',
      'openai',
      'gpt-4.1',
      MODEL_TIER_LARGE,
      [1_047_576n, 32_768n],
      ['2.00', '8.00', '0.50'],
      'o200k_base',
      ALL,
    ),
    model(
      'claude-3-5-haiku',
      'anthropic',
      'claude-3-5-haiku-20241022',
      MODEL_TIER_SMALL,
      [200_000n, 8_192n],
      ['0.80', '4.00', '0.08'],
      '',
      ['streaming', 'tools'],
    ),
    model(
      'claude-sonnet-4',
      'anthropic',
      'claude-sonnet-4-20250514',
      MODEL_TIER_LARGE,
      [200_000n, 64_000n],
      ['3.00', '15.00', '0.30'],
      '',
      ['streaming', 'tools', 'vision'],
    ),
  ];
}

/** The built-in catalog at `version` with the example provider models added. */
export function catalogWithProviderModels(version: bigint): router.ModelCatalog {
  const catalog = builtinCatalog(version);
  return { ...catalog, models: [...catalog.models, ...exampleProviderModels()] };
}
