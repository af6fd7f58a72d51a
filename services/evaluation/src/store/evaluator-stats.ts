// What each evaluator did with each inference: one outcome document per (tenant, inference,
// evaluator), unique, so a redelivery or a second replica records nothing twice. The counts
// of GetEvaluatorStats are derived from these documents, never kept beside them: a crash
// between two writes cannot leave a count that disagrees with what happened.
import { evaluation } from '@keel/contracts';
import { type CollectionIndexes, insertOnce, type Store } from '@keel/store';
import type { Collection } from 'mongodb';

/** run: its verdict is stored; skip: sampled out or not applicable; error: it threw. */
export type OutcomeKind = 'run' | 'skip' | 'error' | 'dead_letter';

export interface EvaluatorOutcomeDocument {
  tenant_id: string;
  inference_id: string;
  function_name: string;
  /** `name@version`. */
  evaluator: string;
  outcome: OutcomeKind;
  /** Why it was skipped (`sampling`, `no_reference`), failed or dead-lettered; '' for a run. */
  reason: string;
  created_at: Date;
}

export const EVALUATOR_OUTCOMES = 'evaluator_outcomes';

export const evaluatorStatsIndexes: CollectionIndexes = {
  [EVALUATOR_OUTCOMES]: [
    { key: { tenant_id: 1, inference_id: 1, evaluator: 1 }, unique: true },
    { key: { tenant_id: 1, function_name: 1, evaluator: 1, outcome: 1 } },
  ],
};

function outcomesOf(store: Store): Collection<EvaluatorOutcomeDocument> {
  return store.collection<EvaluatorOutcomeDocument>(EVALUATOR_OUTCOMES);
}

/** The outcome already recorded for each evaluator of an inference, by evaluator. */
export async function recordedOutcomes(
  store: Store,
  tenantId: string,
  inferenceId: string,
): Promise<Map<string, OutcomeKind>> {
  const docs = await outcomesOf(store)
    .find(
      { tenant_id: tenantId, inference_id: inferenceId },
      { projection: { _id: 0, evaluator: 1, outcome: 1 } },
    )
    .toArray();
  return new Map(docs.map((doc) => [doc.evaluator, doc.outcome]));
}

/** Records the outcome unless one is recorded for that evaluator; true when this call did. */
export async function recordOutcome(store: Store, doc: EvaluatorOutcomeDocument): Promise<boolean> {
  return (await insertOnce(outcomesOf(store), { ...doc })) === 'inserted';
}

/** Runs, skips, errors and dead letters per function and evaluator of a tenant. */
export async function evaluatorStats(
  store: Store,
  tenantId: string,
  functionName: string,
): Promise<evaluation.EvaluatorStats[]> {
  const match = functionName
    ? { tenant_id: tenantId, function_name: functionName }
    : { tenant_id: tenantId };
  const groups = await outcomesOf(store)
    .aggregate<{
      _id: { function_name: string; evaluator: string; outcome: OutcomeKind };
      count: number;
    }>([
      { $match: match },
      {
        $group: {
          _id: { function_name: '$function_name', evaluator: '$evaluator', outcome: '$outcome' },
          count: { $sum: 1 },
        },
      },
    ])
    .toArray();
  const stats = new Map<string, evaluation.EvaluatorStats>();
  for (const { _id, count } of groups) {
    const key = `${_id.function_name}\u0000${_id.evaluator}`;
    let entry = stats.get(key);
    if (!entry) {
      entry = evaluation.EvaluatorStats.fromPartial({
        functionName: _id.function_name,
        evaluator: _id.evaluator,
      });
      stats.set(key, entry);
    }
    const n = BigInt(count);
    if (_id.outcome === 'run') entry.runs += n;
    else if (_id.outcome === 'skip') entry.skips += n;
    else if (_id.outcome === 'error') entry.errors += n;
    else entry.deadLetters += n;
  }
  return [...stats.values()].sort(
    (a, b) =>
      a.functionName.localeCompare(b.functionName) || a.evaluator.localeCompare(b.evaluator),
  );
}
