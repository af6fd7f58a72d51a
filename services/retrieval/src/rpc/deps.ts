import type { FusionWeights } from '../domain/fusion';
import type { IngestionDeps } from '../ingestion';

/** What the RetrievalService's handlers use. */
export interface RetrievalDeps extends IngestionDeps {
  fusion: FusionWeights;
}
