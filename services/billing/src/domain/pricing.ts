// Prices an inference from one catalog version: a line item per provider call (every attempt
// that was sent, failed ones included), and their sum. The prices are billing's own (the catalog
// version the event names), never the event's costs. A billed call the version cannot price (its
// model has no price, or is not in the version at all) is an unpriced line item: cost 0 and
// marked, never silently free, and never a dead letter either, since no later delivery of the
// same event to the same immutable version could price it.
import { costOf, findModel, isBilled as isBilledUsage } from '@keel/catalog';
import { type billing, inference, type router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

export interface Bill {
  lineItems: billing.LineItem[];
  totalNanoUsd: bigint;
}

/** An attempt is billed by the catalog's rule, whether or not it succeeded. */
export function isBilled(attempt: inference.Attempt): boolean {
  return isBilledUsage(attempt.usage);
}

/** An attempt that reached a provider: one the circuit or the deadline skipped did not. */
export function wasSent(attempt: inference.Attempt): boolean {
  return !attempt.skipped;
}

/**
 * The bill of an inference's sent attempts at the catalog's prices, or null when no attempt was
 * sent. An attempt with no tokens is a line item at zero; a billed one whose model the catalog
 * has without a price, or not at all, is unpriced at zero. Each line item is rounded once
 * (costOf); the total is the exact sum of the priced ones.
 *
 * Throws InvalidArgumentError, naming the attempt, when a billed attempt's usage cannot be
 * priced (a negative count, more cached than input tokens).
 */
export function priceAttempts(
  attempts: inference.Attempt[],
  catalog: router.ModelCatalog,
): Bill | null {
  const lineItems = attempts.flatMap((attempt, index) =>
    wasSent(attempt) ? [lineItemOf(attempt, `attempts[${index}]`, catalog)] : [],
  );
  if (lineItems.length === 0) return null;
  return { lineItems, totalNanoUsd: totalOf(lineItems) };
}

export function totalOf(lineItems: billing.LineItem[]): bigint {
  return lineItems.reduce((sum, item) => sum + item.costNanoUsd, 0n);
}

function lineItemOf(
  attempt: inference.Attempt,
  field: string,
  catalog: router.ModelCatalog,
): billing.LineItem {
  const failed = attempt.status === inference.InferenceStatus.INFERENCE_STATUS_FAILED;
  if (!isBilled(attempt)) {
    const { model, provider, usage } = attempt;
    return { model, provider, usage, costNanoUsd: 0n, failed, unpriced: false };
  }
  // isBilled guarantees the usage is there.
  const usage = attempt.usage!;
  try {
    const cost = costOf(findModel(catalog, attempt.model)?.price, usage);
    return {
      model: attempt.model,
      provider: attempt.provider,
      usage,
      costNanoUsd: cost ?? 0n,
      failed,
      unpriced: cost === null,
    };
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(field, error.message);
    throw error;
  }
}
