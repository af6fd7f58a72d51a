import type { SnapshotFollower } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import type { InputLimits } from '../domain/validate';
import type { ResilientProviders } from '../providers/resilience';
import type { CompletedPublisher } from '../publish/completed-publisher';
import type { IdempotencyClaims } from '../store/idempotency-claims';

/** What Complete and Stream are built with, once, in app.ts. */
export interface InferenceDependencies {
  follower: SnapshotFollower;
  providers: ResilientProviders;
  publisher: CompletedPublisher;
  claims: IdempotencyClaims;
  limits: InputLimits;
  logger: Logger;
}
