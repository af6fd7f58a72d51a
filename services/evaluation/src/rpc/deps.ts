import type { Store } from '@keel/store';

/** What the EvaluationService queries read. */
export interface QueryDeps {
  store: Store;
}
