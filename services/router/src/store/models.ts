import { router } from '@keel/contracts';
import { replaceOrInsert } from '@keel/store';
import type { Collection } from 'mongodb';

/** A catalog model the operator wrote; the catalog is the built-in models and these. */
export interface ModelDoc {
  name: string;
  provider: string;
  provider_model: string;
  /** `MODEL_TIER_SMALL`, `MODEL_TIER_MEDIUM` or `MODEL_TIER_LARGE`. */
  tier: string;
  context_window: bigint;
  max_output_tokens: bigint;
  input_nano_usd_per_mtok: bigint;
  output_nano_usd_per_mtok: bigint;
  cached_input_nano_usd_per_mtok: bigint;
  tokenizer: string;
  capabilities: string[];
  updated_at: Date;
}

export function modelDoc(model: router.Model, updatedAt: Date): ModelDoc {
  const price = model.price ?? router.ModelPrice.create();
  return {
    name: model.name,
    provider: model.provider,
    provider_model: model.providerModel,
    tier: router.modelTierToJSON(model.tier),
    context_window: model.contextWindow,
    max_output_tokens: model.maxOutputTokens,
    input_nano_usd_per_mtok: price.inputNanoUsdPerMtok,
    output_nano_usd_per_mtok: price.outputNanoUsdPerMtok,
    cached_input_nano_usd_per_mtok: price.cachedInputNanoUsdPerMtok,
    tokenizer: model.tokenizer,
    capabilities: [...model.capabilities],
    updated_at: updatedAt,
  };
}

export function modelOf(doc: ModelDoc): router.Model {
  return {
    name: doc.name,
    provider: doc.provider,
    providerModel: doc.provider_model,
    tier: router.modelTierFromJSON(doc.tier),
    contextWindow: doc.context_window,
    maxOutputTokens: doc.max_output_tokens,
    price: {
      inputNanoUsdPerMtok: doc.input_nano_usd_per_mtok,
      outputNanoUsdPerMtok: doc.output_nano_usd_per_mtok,
      cachedInputNanoUsdPerMtok: doc.cached_input_nano_usd_per_mtok,
    },
    tokenizer: doc.tokenizer,
    capabilities: [...doc.capabilities],
  };
}

export class ModelStore {
  constructor(private readonly collection: Collection<ModelDoc>) {}

  /** Creates or replaces the model of that name. */
  async put(doc: ModelDoc): Promise<void> {
    await replaceOrInsert(this.collection, { name: doc.name }, doc);
  }

  async all(): Promise<router.Model[]> {
    const docs = await this.collection.find({}).toArray();
    return docs.map(modelOf);
  }
}
