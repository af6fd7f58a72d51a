// Reads published model catalog versions. A version never changes once published, so each
// is read from KV once and kept.
import type { KvBucket } from '@keel/bus';
import { router } from '@keel/contracts';
import { catalogVersionKey } from './buckets';

export class CatalogVersions {
  private readonly cache = new Map<bigint, router.ModelCatalog>();

  constructor(private readonly bucket: KvBucket) {}

  /** The catalog at `version`, or null when that version has not been published. */
  async get(version: bigint): Promise<router.ModelCatalog | null> {
    const cached = this.cache.get(version);
    if (cached) return cached;
    const entry = await this.bucket.get(catalogVersionKey(version));
    if (!entry) return null;
    const catalog = router.ModelCatalog.decode(entry.value);
    this.cache.set(version, catalog);
    return catalog;
  }
}
