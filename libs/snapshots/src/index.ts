// The router's snapshots in NATS KV: where they live, how services follow them, and the
// published model catalog versions.
export {
  CURRENT_CATALOG_KEY,
  SNAPSHOT_KEY,
  catalogVersionKey,
  openSnapshotBuckets,
  type SnapshotBuckets,
} from './buckets';
export { DEFAULT_SNAPSHOT_RELOAD_MS, SnapshotFollower } from './follower';
export { CatalogVersions } from './catalog-versions';
