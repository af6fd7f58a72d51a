// Bills completed inferences into the ledger exactly once, a batch at a time, then announces
// each with InferenceBilled. Acked only after both; one that can never be billed goes to the
// dead letters, where reports count it as unbilled until it is replayed.
import { type BatchItem, type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { billing, durableNameOf, events, type inference } from '@keel/contracts';
import { InvalidArgumentError, UnavailableError } from '@keel/errors';
import type { CatalogVersions } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import { type Bill, priceAttempts, wasSent } from '../domain/pricing';
import { type LedgerDocument, ledgerDocumentOf, ledgerEntryOf } from '../store/ledger';
import type { LedgerWriter } from '../store/ledger-writer';

export const BILLING_DURABLE = durableNameOf('billing', events.inferenceCompleted);

export interface InferenceCompletedConsumer {
  bus: Bus;
  writer: LedgerWriter;
  catalogs: CatalogVersions;
  logger: Logger;
  maxBatch: number;
  ackWaitMs: number;
  /** Deliveries before a failing message goes to the dead-letter stream. */
  maxDeliver: number;
}

type Item = BatchItem<inference.InferenceCompleted>;

export function consumeInferenceCompleted(deps: InferenceCompletedConsumer): Promise<Subscription> {
  return deps.bus.consumeBatch(events.inferenceCompleted, {
    durable: BILLING_DURABLE,
    maxBatch: deps.maxBatch,
    // The writer keeps the store writes of two batches apart; one announces while the next writes.
    concurrentBatches: 2,
    ackWaitMs: deps.ackWaitMs,
    maxDeliver: deps.maxDeliver,
    handler: (items) => billBatch(deps, items),
  });
}

/** Bills what it can of the batch; the rest fail one by one (retried or dead-lettered). */
async function billBatch(
  deps: InferenceCompletedConsumer,
  items: Item[],
): Promise<Map<Item, unknown>> {
  const failures = new Map<Item, unknown>();
  const entries: Array<Omit<LedgerDocument, 'batch_id'>> = [];
  const recordedAt = new Date();
  for (const item of items) {
    const event = item.message;
    try {
      const bill = await billOf(event, deps.catalogs);
      if (bill) {
        entries.push(ledgerDocumentOf(event, bill, recordedAt));
        continue;
      }
      deps.logger.debug(
        { inference_id: event.inferenceId },
        'no attempt reached a provider: nothing to bill',
      );
    } catch (error) {
      failures.set(item, error);
    }
  }
  const stored = await deps.writer.write(entries);
  // What is announced is what the ledger holds, a redelivery's first entry included.
  await Promise.all(
    stored.map((entry) =>
      deps.bus.publish(
        events.inferenceBilled,
        billing.InferenceBilled.fromPartial({
          entry: ledgerEntryOf(entry),
          occurredAt: entry.recorded_at,
        }),
        { msgId: entry.inference_id },
      ),
    ),
  );
  return failures;
}

/**
 * The inference's bill at the prices of the catalog version it names (a cache hit's is empty),
 * or null when nothing in it is billed. Throws PoisonMessageError for an event that can never
 * be billed, and UnavailableError while its catalog version is not yet published (the event is
 * retried).
 */
async function billOf(
  event: inference.InferenceCompleted,
  catalogs: CatalogVersions,
): Promise<Bill | null> {
  if (!event.tenantId) throw new PoisonMessageError('tenant_id is missing');
  if (!event.inferenceId) throw new PoisonMessageError('inference_id is missing');
  // A cache hit called no provider: an entry with no line items, for what it saved.
  if (event.cacheHit && event.attempts.length === 0) return { lineItems: [], totalNanoUsd: 0n };
  if (!event.attempts.some(wasSent)) return null;

  const version = event.catalogVersion;
  const catalog = await catalogs.get(version);
  if (!catalog) {
    // Versions start at 1: an unset version will never be published.
    if (version < 1n) {
      throw new PoisonMessageError(`inference ${event.inferenceId}: catalog_version is unset`);
    }
    throw new UnavailableError(`catalog version ${version} is not published yet`);
  }
  try {
    return priceAttempts(event.attempts, catalog);
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      throw new PoisonMessageError(`inference ${event.inferenceId}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
