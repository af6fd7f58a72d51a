import { router } from '@keel/contracts';
import { replaceOrInsert } from '@keel/store';
import type { Collection } from 'mongodb';
import type { ModelRecord } from '../domain/catalog-schedule';

/**
 * A catalog model the operator wrote, in force from `effective_at`; the catalog is the built-in
 * models and these. The price fields are absent for an unpriced model.
 */
export interface ModelDoc {
  name: string;
  /** Absent in records written before changes had a time: in force from the start. */
  effective_at?: Date;
  provider: string;
  provider_model: string;
  /** `MODEL_TIER_SMALL`, `MODEL_TIER_MEDIUM` or `MODEL_TIER_LARGE`. */
  tier: string;
  context_window: bigint;
  max_output_tokens: bigint;
  input_nano_usd_per_mtok?: bigint;
  output_nano_usd_per_mtok?: bigint;
  cached_input_nano_usd_per_mtok?: bigint;
  cache_write_nano_usd_per_mtok?: bigint;
  reasoning_nano_usd_per_mtok?: bigint;
  tokenizer: string;
  capabilities: string[];
  updated_at: Date;
}

export function modelDoc(record: ModelRecord, updatedAt: Date): ModelDoc {
  const { model, effectiveAt } = record;
  const price = model.price;
  return {
    name: model.name,
    effective_at: effectiveAt,
    provider: model.provider,
    provider_model: model.providerModel,
    tier: router.modelTierToJSON(model.tier),
    context_window: model.contextWindow,
    max_output_tokens: model.maxOutputTokens,
    ...(price && {
      input_nano_usd_per_mtok: price.inputNanoUsdPerMtok,
      output_nano_usd_per_mtok: price.outputNanoUsdPerMtok,
      cached_input_nano_usd_per_mtok: price.cachedInputNanoUsdPerMtok,
      ...(price.cacheWriteNanoUsdPerMtok !== undefined && {
        cache_write_nano_usd_per_mtok: price.cacheWriteNanoUsdPerMtok,
      }),
      ...(price.reasoningNanoUsdPerMtok !== undefined && {
        reasoning_nano_usd_per_mtok: price.reasoningNanoUsdPerMtok,
      }),
    }),
    tokenizer: model.tokenizer,
    capabilities: [...model.capabilities],
    updated_at: updatedAt,
  };
}

export function modelRecordOf(doc: ModelDoc): ModelRecord {
  return {
    effectiveAt: doc.effective_at ?? new Date(0),
    model: {
      name: doc.name,
      provider: doc.provider,
      providerModel: doc.provider_model,
      tier: router.modelTierFromJSON(doc.tier),
      contextWindow: doc.context_window,
      maxOutputTokens: doc.max_output_tokens,
      price: priceOf(doc),
      tokenizer: doc.tokenizer,
      capabilities: [...doc.capabilities],
    },
  };
}

function priceOf(doc: ModelDoc): router.ModelPrice | undefined {
  if (doc.input_nano_usd_per_mtok === undefined) return undefined;
  return {
    inputNanoUsdPerMtok: doc.input_nano_usd_per_mtok,
    outputNanoUsdPerMtok: doc.output_nano_usd_per_mtok ?? 0n,
    cachedInputNanoUsdPerMtok: doc.cached_input_nano_usd_per_mtok ?? 0n,
    ...(doc.cache_write_nano_usd_per_mtok !== undefined && {
      cacheWriteNanoUsdPerMtok: doc.cache_write_nano_usd_per_mtok,
    }),
    ...(doc.reasoning_nano_usd_per_mtok !== undefined && {
      reasoningNanoUsdPerMtok: doc.reasoning_nano_usd_per_mtok,
    }),
  };
}

export class ModelStore {
  constructor(private readonly collection: Collection<ModelDoc>) {}

  /** Creates or replaces the record of that model name and effective time. */
  async put(doc: ModelDoc): Promise<void> {
    await replaceOrInsert(this.collection, { name: doc.name, effective_at: doc.effective_at }, doc);
  }

  /** Every record, past and scheduled. */
  async all(): Promise<ModelRecord[]> {
    const docs = await this.collection.find({}).toArray();
    return docs.map(modelRecordOf);
  }
}
