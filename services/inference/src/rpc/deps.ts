import type { SnapshotFollower } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import type { ExactCache } from '../cache/exact-cache';
import type { SemanticCache } from '../cache/semantic-cache';
import type { RetrievalService } from '../domain/retrieval';
import type { InputLimits } from '../domain/validate';
import type { ResilientProviders } from '../providers/resilience';
import type { CompletedPublisher } from '../publish/completed-publisher';
import type { Budgeter } from '../budget/budgeter';
import type { RateLimiter } from '../rate-limit/limiter';
import type { IdempotencyClaims } from '../store/idempotency-claims';

/** What Complete and Stream are built with, once, in app.ts. */
export interface InferenceDependencies {
  follower: SnapshotFollower;
  providers: ResilientProviders;
  publisher: CompletedPublisher;
  claims: IdempotencyClaims;
  cache: ExactCache;
  semanticCache: SemanticCache;
  /** Passages for functions with a collection, embeddings for the semantic cache. */
  retrieval: RetrievalService;
  limits: InputLimits;
  rateLimiter: RateLimiter;
  budgeter: Budgeter;
  logger: Logger;
}
