// Unbilled inferences: the completed inferences billing dead-lettered. The dead-letter stream is
// their only record, so a replay (which removes the dead letter) ends their being unbilled.
import type { DeadLetters } from '@keel/bus';
import { billing, inference } from '@keel/contracts';

/** Shown of them at most, newest first. */
const SHOWN = 20;

export interface UnbilledQuery {
  tenantId: string;
  from?: Date;
  to?: Date;
  functionName?: string;
  variantName?: string;
  model?: string;
}

/** The tenant's unbilled inferences that match the query; letters that do not decode name no tenant. */
export async function unbilledOf(
  deadLetters: DeadLetters,
  durable: string,
  query: UnbilledQuery,
): Promise<billing.Unbilled> {
  const matching: billing.UnbilledInference[] = [];
  for (const letter of await deadLetters.list({ durable })) {
    let event: inference.InferenceCompleted;
    try {
      event = inference.InferenceCompleted.decode(letter.payload);
    } catch {
      continue;
    }
    const occurredAt = event.occurredAt ?? letter.deadLetteredAt;
    if (
      event.tenantId !== query.tenantId ||
      (query.from && occurredAt < query.from) ||
      (query.to && occurredAt >= query.to) ||
      (query.functionName && event.functionName !== query.functionName) ||
      (query.variantName && event.variantName !== query.variantName) ||
      (query.model && event.model !== query.model)
    ) {
      continue;
    }
    matching.push({
      inferenceId: event.inferenceId,
      functionName: event.functionName,
      reason: letter.reason,
      occurredAt,
    });
  }
  matching.sort((a, b) => b.occurredAt!.getTime() - a.occurredAt!.getTime());
  return { count: BigInt(matching.length), inferences: matching.slice(0, SHOWN) };
}
