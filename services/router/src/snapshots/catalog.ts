// The published model catalog. Versions are immutable (`v<N>`); `current` holds the newest
// version number as decimal text. Publishing never rewrites a version: it creates `v<N+1>`,
// then moves `current` with compare-and-set, so router replicas starting together agree.
import { KvConflictError, type KvBucket } from '@keel/bus';
import { sameModels } from '@keel/catalog';
import { router } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import { CURRENT_CATALOG_KEY, CatalogVersions, catalogVersionKey } from '@keel/snapshots';

// Each round either returns or sees another writer's progress; a few rounds always suffice.
const MAX_ROUNDS = 10;

export class Catalogs {
  private readonly versions: CatalogVersions;

  constructor(private readonly bucket: KvBucket) {
    this.versions = new CatalogVersions(bucket);
  }

  /** The newest published catalog. */
  async current(): Promise<router.ModelCatalog> {
    const entry = await this.bucket.get(CURRENT_CATALOG_KEY);
    const catalog = entry ? await this.versions.get(versionOf(entry.value)) : null;
    if (!catalog) throw new UnavailableError('no model catalog is published yet; retry shortly');
    return catalog;
  }

  /**
   * Makes a catalog with `wanted`'s models current, publishing it as the next version unless
   * the current one already has them; returns the current catalog. Given a function, it builds
   * the catalog anew each round, after reading `current`: a writer that lost a race to another
   * then publishes a catalog built from both writers' records.
   */
  async publish(
    wanted: router.ModelCatalog | (() => Promise<router.ModelCatalog>),
  ): Promise<router.ModelCatalog> {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const currentEntry = await this.bucket.get(CURRENT_CATALOG_KEY);
      const currentVersion = currentEntry ? versionOf(currentEntry.value) : 0n;
      const current = currentEntry ? await this.versions.get(currentVersion) : null;
      const catalog = typeof wanted === 'function' ? await wanted() : wanted;
      if (current && sameModels(current, catalog)) return current;

      // The next version may exist already, created by a replica that has not (yet) moved
      // `current` to it: then only `current` moves, and the next round looks at what it holds.
      const next = currentVersion + 1n;
      try {
        await this.bucket.create(
          catalogVersionKey(next),
          router.ModelCatalog.encode({ ...catalog, version: next }).finish(),
        );
      } catch (error) {
        if (!(error instanceof KvConflictError)) throw error;
      }
      try {
        const text = new TextEncoder().encode(next.toString());
        if (currentEntry)
          await this.bucket.update(CURRENT_CATALOG_KEY, text, currentEntry.revision);
        else await this.bucket.create(CURRENT_CATALOG_KEY, text);
      } catch (error) {
        if (!(error instanceof KvConflictError)) throw error;
      }
    }
    throw new UnavailableError(`the model catalog did not settle after ${MAX_ROUNDS} rounds`);
  }
}

function versionOf(value: Uint8Array): bigint {
  const text = new TextDecoder().decode(value);
  if (!/^[1-9][0-9]*$/.test(text)) {
    throw new Error(`catalog '${CURRENT_CATALOG_KEY}' holds '${text}', not a version number`);
  }
  return BigInt(text);
}
