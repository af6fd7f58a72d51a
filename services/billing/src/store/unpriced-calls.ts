// `keel.billing.unpriced_calls`: provider calls billed with no price in their catalog version (a
// model put without a price, or missing from the version), by tenant, model and provider.
// Counted when their ledger entry is first written, so a redelivery adds nothing.
import { ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_RESPONSE_MODEL } from '@keel/telemetry';
import { type Counter, metrics } from '@opentelemetry/api';
import type { LedgerDocument } from './ledger';

export class UnpricedCalls {
  private readonly calls: Counter;

  /** Built when the service starts, after it has registered its meter provider. */
  constructor() {
    this.calls = metrics.getMeter('@keel/billing').createCounter('keel.billing.unpriced_calls', {
      description: 'Provider calls whose cost is unknown: their model had no price',
      unit: '{call}',
    });
  }

  /** Counts the unpriced line items of entries just written. */
  count(entries: readonly Pick<LedgerDocument, 'tenant_id' | 'line_items'>[]): void {
    for (const entry of entries) {
      for (const item of entry.line_items) {
        if (!item.unpriced) continue;
        this.calls.add(1, {
          'keel.tenant.id': entry.tenant_id,
          [ATTR_GEN_AI_RESPONSE_MODEL]: item.model,
          [ATTR_GEN_AI_PROVIDER_NAME]: item.provider,
        });
      }
    }
  }
}
