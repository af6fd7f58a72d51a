// Prices an inference from one catalog version: a line item per billed attempt, and their sum.
// The prices are billing's own (the catalog version the event names), never the event's costs.
import { costOf, findModel, isBilled as isBilledUsage } from '@keel/catalog';
import type { billing, inference, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

export interface Bill {
  lineItems: billing.LineItem[];
  totalNanoUsd: bigint;
}

/** An attempt is billed by the catalog's rule, whether or not it succeeded. */
export function isBilled(attempt: inference.Attempt): boolean {
  return isBilledUsage(attempt.usage);
}

/**
 * The bill of an inference's attempts at the catalog's prices, or null when no attempt is
 * billed. Each line item is rounded once (costOf); the total is their exact sum.
 *
 * Throws InvalidArgumentError, naming the attempt, when a billed attempt's model is not in the
 * catalog or its usage cannot be priced (a negative count, more cached than input tokens).
 */
export function priceAttempts(
  attempts: inference.Attempt[],
  catalog: router.ModelCatalog,
): Bill | null {
  const lineItems = attempts.flatMap((attempt, index) =>
    isBilled(attempt) ? [lineItemOf(attempt, `attempts[${index}]`, catalog)] : [],
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
    };
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(field, error.message);
    throw error;
  }
}
