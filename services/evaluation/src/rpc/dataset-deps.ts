import type { router } from '@keel/contracts';
import type { Collection } from 'mongodb';
import type { EvaluationPlans } from '../domain/evaluation-plans';
import type { ExperimentDeps } from '../experiments/run-experiment';
import type { DatasetStore } from '../store/datasets';
import type { FeedbackDocument } from '../store/feedback';
import type { InferenceDocument } from '../store/inferences';

/** What the DatasetService works with. */
export interface DatasetDeps {
  datasets: DatasetStore;
  inferences: Collection<InferenceDocument>;
  feedback: Collection<FeedbackDocument>;
  /** The router's current policy snapshot (functions and their variants), or null before one. */
  policy(): { function(tenantId: string, functionName: string): router.KeelFunction | null } | null;
  plans: EvaluationPlans;
  runner: ExperimentDeps;
}
