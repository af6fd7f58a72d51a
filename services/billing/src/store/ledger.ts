// The ledger: one document per billed inference (one that called a provider, or a cache hit),
// unique on (tenant_id, inference_id), so a redelivered or republished event finds its entry
// and bills nothing twice. Each document names the batch that wrote it (see ledger-writer.ts).
import { billing, type inference } from '@keel/contracts';
import type { CollectionIndexes } from '@keel/store';
import type { Bill } from '../domain/pricing';
import type { BilledInference } from '../domain/usage';

export interface LineItemDocument {
  model: string;
  provider: string;
  input_tokens: bigint;
  output_tokens: bigint;
  cached_input_tokens: bigint;
  cache_write_input_tokens: bigint;
  reasoning_tokens: bigint;
  cost_nano_usd: bigint;
  /** The attempt failed; billed only for the tokens the provider reported for it. */
  failed: boolean;
  /** The catalog version had no price for the model: the cost is unknown, not 0. */
  unpriced: boolean;
}

export interface LedgerDocument {
  tenant_id: string;
  inference_id: string;
  function_name: string;
  variant_name: string;
  /** The model and provider that answered; of a cache hit, the stored answer's model. */
  model: string;
  provider: string;
  catalog_version: bigint;
  line_items: LineItemDocument[];
  /** The sum of the line items' costs. */
  total_nano_usd: bigint;
  /** A line item is unpriced. */
  unpriced: boolean;
  cache_hit: boolean;
  semantic_cache_hit: boolean;
  /** What the cached answer's inference cost: what the hit saved. */
  cache_saved_nano_usd: bigint;
  occurred_at: Date;
  recorded_at: Date;
  /** The batch that wrote the entry, and so added it to the rollups. */
  batch_id: string;
}

export const LEDGER = 'ledger';

export const ledgerIndexes: CollectionIndexes = {
  [LEDGER]: [
    { key: { tenant_id: 1, inference_id: 1 }, unique: true },
    // Recovery finds a batch's entries.
    { key: { batch_id: 1 } },
  ],
};

/** The entry of a billed inference; its batch is named when it is written. */
export function ledgerDocumentOf(
  event: inference.InferenceCompleted,
  bill: Bill,
  recordedAt: Date,
): Omit<LedgerDocument, 'batch_id'> {
  const lineItems = bill.lineItems.map((item) => ({
    model: item.model,
    provider: item.provider,
    input_tokens: item.usage?.inputTokens ?? 0n,
    output_tokens: item.usage?.outputTokens ?? 0n,
    cached_input_tokens: item.usage?.cachedInputTokens ?? 0n,
    cache_write_input_tokens: item.usage?.cacheWriteInputTokens ?? 0n,
    reasoning_tokens: item.usage?.reasoningTokens ?? 0n,
    cost_nano_usd: item.costNanoUsd,
    failed: item.failed,
    unpriced: item.unpriced,
  }));
  // The last call is the one that answered, or the last that failed.
  const answered = lineItems.at(-1);
  return {
    tenant_id: event.tenantId,
    inference_id: event.inferenceId,
    function_name: event.functionName,
    variant_name: event.variantName,
    model: answered?.model ?? event.model,
    provider: answered?.provider ?? '',
    catalog_version: event.catalogVersion,
    line_items: lineItems,
    total_nano_usd: bill.totalNanoUsd,
    unpriced: lineItems.some((item) => item.unpriced),
    cache_hit: event.cacheHit !== undefined,
    semantic_cache_hit: event.cacheHit?.semantic ?? false,
    cache_saved_nano_usd: event.cacheHit?.savedNanoUsd ?? 0n,
    // An event without its time is billed when it is recorded, so period rollups still count it.
    occurred_at: event.occurredAt ?? recordedAt,
    recorded_at: recordedAt,
  };
}

/** The figures the rollups sum; entries written before a field existed have none of it. */
export function billedInferenceOf(doc: LedgerDocument): BilledInference {
  return {
    tenantId: doc.tenant_id,
    functionName: doc.function_name,
    variantName: doc.variant_name,
    model: doc.model ?? doc.line_items.at(-1)?.model ?? '',
    provider: doc.provider ?? doc.line_items.at(-1)?.provider ?? '',
    occurredAt: doc.occurred_at,
    cacheHit: doc.cache_hit ?? false,
    cacheSavedNanoUsd: doc.cache_saved_nano_usd ?? 0n,
    lineItems: doc.line_items.map((item) => ({
      model: item.model,
      provider: item.provider,
      usage: {
        inputTokens: item.input_tokens,
        outputTokens: item.output_tokens,
        cachedInputTokens: item.cached_input_tokens,
        cacheWriteInputTokens: item.cache_write_input_tokens ?? 0n,
        reasoningTokens: item.reasoning_tokens ?? 0n,
      },
      costNanoUsd: item.cost_nano_usd,
      unpriced: item.unpriced ?? false,
    })),
  };
}

export function ledgerEntryOf(stored: LedgerDocument): billing.LedgerEntry {
  const figures = billedInferenceOf(stored);
  return billing.LedgerEntry.fromPartial({
    tenantId: stored.tenant_id,
    inferenceId: stored.inference_id,
    functionName: stored.function_name,
    variantName: stored.variant_name,
    lineItems: stored.line_items.map((item, index) => ({
      model: item.model,
      provider: item.provider,
      usage: figures.lineItems[index].usage,
      costNanoUsd: item.cost_nano_usd,
      failed: item.failed ?? false,
      unpriced: figures.lineItems[index].unpriced,
    })),
    totalNanoUsd: stored.total_nano_usd,
    catalogVersion: stored.catalog_version,
    occurredAt: stored.occurred_at,
    cacheHit: figures.cacheHit,
    semanticCacheHit: stored.semantic_cache_hit ?? false,
    cacheSavedNanoUsd: figures.cacheSavedNanoUsd,
    unpriced: stored.unpriced ?? false,
  });
}
