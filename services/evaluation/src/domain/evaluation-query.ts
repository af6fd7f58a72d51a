// What a query reads, from a request's EvaluationFilter, checked: every field narrows.
import type { evaluation } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

export interface EvaluationQuery {
  tenantId: string;
  functionName: string;
  variantName: string;
  model: string;
  evaluator: string;
  label: string;
  tags: Record<string, string>;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

export function evaluationQueryOf(
  filter: evaluation.EvaluationFilter | undefined,
  tenantId: string,
): EvaluationQuery {
  const from = filter?.from;
  const to = filter?.to;
  if (from && to && from.getTime() >= to.getTime()) {
    throw new InvalidArgumentError(
      'filter.to',
      `${to.toISOString()} is not after filter.from ${from.toISOString()}`,
    );
  }
  return {
    tenantId,
    functionName: filter?.functionName ?? '',
    variantName: filter?.variantName ?? '',
    model: filter?.model ?? '',
    evaluator: filter?.evaluator ?? '',
    label: filter?.label ?? '',
    tags: filter?.tags ?? {},
    from,
    to,
  };
}

/** A bound on a count field: 0 means `fallback`, above `max` or below 0 is refused. */
export function boundedCount(field: string, value: number, fallback: number, max: number): number {
  if (value < 0 || value > max) {
    throw new InvalidArgumentError(field, `${value} is outside 0 to ${max} (0 means ${fallback})`);
  }
  return value === 0 ? fallback : value;
}
