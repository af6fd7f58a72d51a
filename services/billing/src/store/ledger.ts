// The ledger: one document per inference that called a provider, unique on (tenant_id, inference_id), so a
// redelivered or republished event finds its entry and bills nothing twice.
import { billing, type inference } from '@keel/contracts';
import { type CollectionIndexes, insertOnceOrGet } from '@keel/store';
import type { Collection } from 'mongodb';
import type { Bill } from '../domain/pricing';

export interface LineItemDocument {
  model: string;
  provider: string;
  input_tokens: bigint;
  output_tokens: bigint;
  cached_input_tokens: bigint;
  reasoning_tokens: bigint;
  cost_nano_usd: bigint;
  /** The attempt failed; billed only for the tokens the provider reported for it. */
  failed: boolean;
}

export interface LedgerDocument {
  tenant_id: string;
  inference_id: string;
  function_name: string;
  variant_name: string;
  catalog_version: bigint;
  line_items: LineItemDocument[];
  /** The sum of the line items' costs. */
  total_nano_usd: bigint;
  occurred_at: Date;
  recorded_at: Date;
}

export const LEDGER = 'ledger';

export const ledgerIndexes: CollectionIndexes = {
  [LEDGER]: [{ key: { tenant_id: 1, inference_id: 1 }, unique: true }],
};

export function ledgerDocumentOf(
  event: inference.InferenceCompleted,
  bill: Bill,
  recordedAt: Date,
): LedgerDocument {
  return {
    tenant_id: event.tenantId,
    inference_id: event.inferenceId,
    function_name: event.functionName,
    variant_name: event.variantName,
    catalog_version: event.catalogVersion,
    line_items: bill.lineItems.map((item) => ({
      model: item.model,
      provider: item.provider,
      input_tokens: item.usage?.inputTokens ?? 0n,
      output_tokens: item.usage?.outputTokens ?? 0n,
      cached_input_tokens: item.usage?.cachedInputTokens ?? 0n,
      reasoning_tokens: item.usage?.reasoningTokens ?? 0n,
      cost_nano_usd: item.costNanoUsd,
      failed: item.failed,
    })),
    total_nano_usd: bill.totalNanoUsd,
    // An event without its time is billed when it is recorded, so period rollups still count it.
    occurred_at: event.occurredAt ?? recordedAt,
    recorded_at: recordedAt,
  };
}

/**
 * Stores the entry unless an earlier delivery already did; returns the entry as stored, so
 * what billing announces always matches the ledger.
 */
export async function recordLedgerEntry(
  ledger: Collection<LedgerDocument>,
  entry: LedgerDocument,
): Promise<{ inserted: boolean; stored: LedgerDocument }> {
  return insertOnceOrGet(ledger, entry, {
    tenant_id: entry.tenant_id,
    inference_id: entry.inference_id,
  });
}

export function ledgerEntryOf(stored: LedgerDocument): billing.LedgerEntry {
  return billing.LedgerEntry.fromPartial({
    tenantId: stored.tenant_id,
    inferenceId: stored.inference_id,
    functionName: stored.function_name,
    variantName: stored.variant_name,
    lineItems: stored.line_items.map((item) => ({
      model: item.model,
      provider: item.provider,
      usage: {
        inputTokens: item.input_tokens,
        outputTokens: item.output_tokens,
        cachedInputTokens: item.cached_input_tokens,
        // Documents written before reasoning tokens were recorded have none.
        reasoningTokens: item.reasoning_tokens ?? 0n,
      },
      costNanoUsd: item.cost_nano_usd,
      failed: item.failed ?? false,
    })),
    totalNanoUsd: stored.total_nano_usd,
    catalogVersion: stored.catalog_version,
    occurredAt: stored.occurred_at,
  });
}
