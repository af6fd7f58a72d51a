import type { SnapshotFollower } from '@keel/snapshots';
import type { Catalogs } from './snapshots/catalog';
import type { SnapshotPublisher } from './snapshots/publisher';
import type { RouterStore } from './store/router-store';

/** What the RPCs and the bootstrap work with. */
export interface RouterDeps {
  store: RouterStore;
  catalogs: Catalogs;
  publisher: SnapshotPublisher;
  /** This router's own view of the snapshots: it authenticates and routes like any service. */
  follower: SnapshotFollower;
}
