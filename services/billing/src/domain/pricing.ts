// Prices an inference from one catalog version: a line item per provider call (every attempt
// that was sent, failed ones included), and their sum. The prices are billing's own (the catalog
// version the event names), never the event's costs.
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
 * sent. An attempt with no tokens is a line item at zero. Each line item is rounded once
 * (costOf); the total is their exact sum.
 *
 * Throws InvalidArgumentError, naming the attempt, when a billed attempt's model is not in the
 * catalog or its usage cannot be priced (a negative count, more cached than input tokens).
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
  const model = findModel(catalog, attempt.model);
  if (!model) {
    throw new InvalidArgumentError(
      `${field}.model`,
      `'${attempt.model}' is not in catalog version ${catalog.version}`,
    );
  }
  // isBilled guarantees the usage is there.
  const usage = attempt.usage!;
  try {
    return {
      model: attempt.model,
      provider: attempt.provider,
      usage,
      costNanoUsd: costOf(model.price, usage),
      failed,
      unpriced: false,
    };
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(field, error.message);
    throw error;
  }
}
