// A price list file (deploy/prices/models.json): catalog models with their list prices in USD per
// million tokens, the date the prices were read and where. Dollar figures are decimal strings,
// converted exactly to nano-USD.
import { nanoUsd } from '@keel/catalog';
import { z } from '@keel/config';
import { router } from '@keel/contracts';

const TIERS: Record<string, router.ModelTier> = {
  small: router.ModelTier.MODEL_TIER_SMALL,
  medium: router.ModelTier.MODEL_TIER_MEDIUM,
  large: router.ModelTier.MODEL_TIER_LARGE,
};

const dollars = z.string().refine(
  (text) => {
    try {
      nanoUsd(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'a dollar amount as text with at most 9 decimals, e.g. "0.075"' },
);

const tokens = z.number().int().positive();

const priceList = z.object({
  as_of: z.iso.date(),
  sources: z.record(z.string(), z.url()),
  models: z.array(
    z.object({
      name: z.string().min(1),
      provider: z.string().min(1),
      provider_model: z.string().min(1),
      tier: z.enum(Object.keys(TIERS) as [string, ...string[]]),
      context_window: tokens,
      max_output_tokens: tokens,
      usd_per_mtok: z.object({
        input: dollars,
        output: dollars,
        cached_input: dollars,
        cache_write: dollars.optional(),
        reasoning: dollars.optional(),
      }),
      tokenizer: z.string(),
      capabilities: z.array(z.string()),
    }),
  ),
});

export interface PriceList {
  /** The day the prices were read (YYYY-MM-DD). */
  asOf: string;
  /** Where each provider's prices were read. */
  sources: Record<string, string>;
  models: router.Model[];
}

/** The price list in `text`, or an Error naming the first field at fault. */
export function parsePriceList(text: string): PriceList {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  const parsed = priceList.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new Error(`${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  const { as_of: asOf, sources, models } = parsed.data;
  return {
    asOf,
    sources,
    models: models.map((model) =>
      router.Model.fromPartial({
        name: model.name,
        provider: model.provider,
        providerModel: model.provider_model,
        tier: TIERS[model.tier],
        contextWindow: BigInt(model.context_window),
        maxOutputTokens: BigInt(model.max_output_tokens),
        price: {
          inputNanoUsdPerMtok: nanoUsd(model.usd_per_mtok.input),
          outputNanoUsdPerMtok: nanoUsd(model.usd_per_mtok.output),
          cachedInputNanoUsdPerMtok: nanoUsd(model.usd_per_mtok.cached_input),
          cacheWriteNanoUsdPerMtok: optionalNanoUsd(model.usd_per_mtok.cache_write),
          reasoningNanoUsdPerMtok: optionalNanoUsd(model.usd_per_mtok.reasoning),
        },
        tokenizer: model.tokenizer,
        capabilities: model.capabilities,
      }),
    ),
  };
}

function optionalNanoUsd(text: string | undefined): bigint | undefined {
  return text === undefined ? undefined : nanoUsd(text);
}
