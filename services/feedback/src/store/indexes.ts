// The feedback store's indexes besides `_id` (which holds the tenant and the unique key of
// inference owners, episodes and feedback): ListFeedback's.
import type { CollectionIndexes } from '@keel/store';
import { FEEDBACK } from './feedback';

export const feedbackIndexes: CollectionIndexes = {
  [FEEDBACK]: [
    { key: { tenant_id: 1, inference_id: 1, created_at: 1 } },
    { key: { tenant_id: 1, episode_id: 1, created_at: 1 } },
  ],
};
