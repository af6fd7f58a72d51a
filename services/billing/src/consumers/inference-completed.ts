// Bills each completed inference into the ledger exactly once, then announces it with
// InferenceBilled. Acked only after both; one that can never be billed goes to the dead letters.
import { type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { billing, durableNameOf, events, type inference } from '@keel/contracts';
import { InvalidArgumentError, UnavailableError } from '@keel/errors';
import type { CatalogVersions } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import type { Collection } from 'mongodb';
import { type Bill, priceAttempts, wasSent } from '../domain/pricing';
import {
  type LedgerDocument,
  ledgerDocumentOf,
  ledgerEntryOf,
  recordLedgerEntry,
} from '../store/ledger';

export interface InferenceCompletedConsumer {
  bus: Bus;
  ledger: Collection<LedgerDocument>;
  catalogs: CatalogVersions;
  logger: Logger;
  concurrency: number;
  ackWaitMs: number;
  /** Deliveries before a failing message goes to the dead-letter stream. */
  maxDeliver: number;
  /** Test-only fault: SIGKILL right after this many ledger inserts (see config.ts). */
  killAfterWrites?: number;
}

export function consumeInferenceCompleted(deps: InferenceCompletedConsumer): Promise<Subscription> {
  let inserts = 0;
  return deps.bus.consume(events.inferenceCompleted, {
    durable: durableNameOf('billing', events.inferenceCompleted),
    concurrency: deps.concurrency,
    ackWaitMs: deps.ackWaitMs,
    maxDeliver: deps.maxDeliver,
    handler: async (event) => {
      const bill = await billOf(event, deps.catalogs);
      if (!bill) {
        deps.logger.debug(
          { inference_id: event.inferenceId },
          'no attempt reached a provider: nothing to bill',
        );
        return;
      }
      const entry = ledgerDocumentOf(event, bill, new Date());
      const { inserted, stored } = await recordLedgerEntry(deps.ledger, entry);
      // Test-only fault: die between the write and the ack, as a crash there would.
      if (inserted && ++inserts === deps.killAfterWrites) process.kill(process.pid, 'SIGKILL');
      const billed = billing.InferenceBilled.fromPartial({
        entry: ledgerEntryOf(stored),
        occurredAt: stored.recorded_at,
      });
      await deps.bus.publish(events.inferenceBilled, billed, { msgId: stored.inference_id });
    },
  });
}

/**
 * The inference's bill at the prices of the catalog version it names, or null when nothing
 * in it is billed. Throws PoisonMessageError for an event that can never be billed, and
 * UnavailableError while its catalog version is not yet published (the event is retried).
 */
async function billOf(
  event: inference.InferenceCompleted,
  catalogs: CatalogVersions,
): Promise<Bill | null> {
  if (!event.tenantId) throw new PoisonMessageError('tenant_id is missing');
  if (!event.inferenceId) throw new PoisonMessageError('inference_id is missing');
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
