// Every index of the evaluation store; each begins with tenant_id, as every query names one.
// Few on evaluations: each insert of one updates every index.
import type { CollectionIndexes } from '@keel/store';
import { EVALUATIONS } from './evaluations';
import { FEEDBACK } from './feedback';
import { INFERENCES } from './inferences';

export const evaluationIndexes: CollectionIndexes = {
  [EVALUATIONS]: [
    { key: { tenant_id: 1, inference_id: 1, evaluator: 1 }, unique: true },
    // Lists and exports, newest first, and time ranges.
    { key: { tenant_id: 1, inference_occurred_at: -1, evaluation_id: -1 } },
    // WorstInferences, lowest first.
    { key: { tenant_id: 1, score: 1 } },
    // A drift check's latest scores of one evaluator of a function's variant.
    { key: { tenant_id: 1, function_name: 1, variant_name: 1, evaluator: 1, evaluation_id: -1 } },
  ],
  [INFERENCES]: [{ key: { tenant_id: 1, inference_id: 1 }, unique: true }],
  // Unique by `_id` (tenant and feedback id; see feedback.ts).
  [FEEDBACK]: [
    { key: { tenant_id: 1, inference_id: 1 } },
    { key: { tenant_id: 1, episode_id: 1 } },
  ],
};
