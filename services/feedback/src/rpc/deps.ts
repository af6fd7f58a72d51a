import type { Bus } from '@keel/bus';
import type { FeedbackCollections } from '../store/feedback';
import type { OwnerCollections } from '../store/inference-owners';

/** What the FeedbackService reads and writes. */
export interface FeedbackDeps {
  bus: Bus;
  owners: OwnerCollections;
  feedback: FeedbackCollections;
}
