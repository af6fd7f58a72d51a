// The published model catalog. Versions are immutable (`v<N>`), each with the time it takes
// effect; `current` holds the newest version number as decimal text. Publishing never rewrites
// a version: it creates `v<N+1>`, then moves `current` with compare-and-set, so router replicas
// starting together agree. The catalog in effect at a time is the version with the latest
// effective_at at or before it, the higher version winning a tie (catalogInEffect).
import { KvConflictError, type KvBucket } from '@keel/bus';
import { catalogInEffect, effectiveTime, sameModels } from '@keel/catalog';
import { router } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import { CURRENT_CATALOG_KEY, CatalogVersions, catalogVersionKey } from '@keel/snapshots';

// Rounds lost to other writers before giving up; each round otherwise returns or publishes.
const MAX_LOST_ROUNDS = 10;

export class Catalogs {
  private readonly versions: CatalogVersions;

  constructor(private readonly bucket: KvBucket) {
    this.versions = new CatalogVersions(bucket);
  }

  /** The catalog in effect at `at` (now by default). */
  async current(at: Date = new Date()): Promise<router.ModelCatalog> {
    const catalog = catalogInEffect((await this.published()).versions, at);
    if (!catalog) throw new UnavailableError('no model catalog is published yet; retry shortly');
    return catalog;
  }

  /**
   * The versions that take effect after `at`, earliest first: for each later effective time,
   * the version in effect from then on.
   */
  async scheduled(at: Date = new Date()): Promise<router.ModelCatalog[]> {
    const { versions } = await this.published();
    const times = [...new Set(versions.map(effectiveTime))]
      .filter((time) => time > at.getTime())
      .sort((a, b) => a - b);
    return times.map((time) => catalogInEffect(versions, new Date(time))!);
  }

  /**
   * Publishes the catalogs `wanted` lists (each with its effective_at, earliest first), each as
   * a new version unless the version in effect at its time already has its models; returns the
   * version in effect at each wanted time. Given a function, it builds the list anew each round,
   * after reading `current`: a writer that lost a race to another then publishes catalogs built
   * from both writers' records.
   */
  async publish(
    wanted: router.ModelCatalog[] | (() => Promise<router.ModelCatalog[]>),
  ): Promise<router.ModelCatalog[]> {
    let lost = 0;
    while (lost < MAX_LOST_ROUNDS) {
      const { entry, newest, versions } = await this.published();
      const catalogs = typeof wanted === 'function' ? await wanted() : wanted;
      const inEffect = catalogs.map((catalog) =>
        catalogInEffect(versions, catalog.effectiveAt ?? new Date(0)),
      );
      const missing = catalogs.findIndex(
        (catalog, i) => !inEffect[i] || !sameModels(inEffect[i], catalog),
      );
      if (missing < 0) return inEffect as router.ModelCatalog[];

      // The next version may exist already, created by a replica that has not (yet) moved
      // `current` to it: then only `current` moves, and the next round looks at what it holds.
      const next = newest + 1n;
      let won = true;
      try {
        await this.bucket.create(
          catalogVersionKey(next),
          router.ModelCatalog.encode({ ...catalogs[missing], version: next }).finish(),
        );
      } catch (error) {
        if (!(error instanceof KvConflictError)) throw error;
        won = false;
      }
      try {
        const text = new TextEncoder().encode(next.toString());
        if (entry) await this.bucket.update(CURRENT_CATALOG_KEY, text, entry.revision);
        else await this.bucket.create(CURRENT_CATALOG_KEY, text);
      } catch (error) {
        if (!(error instanceof KvConflictError)) throw error;
        won = false;
      }
      if (!won) lost += 1;
    }
    throw new UnavailableError(`the model catalog did not settle after ${lost} lost rounds`);
  }

  /** Every published version, oldest first, and the `current` entry naming the newest. */
  private async published() {
    const entry = await this.bucket.get(CURRENT_CATALOG_KEY);
    const newest = entry ? versionOf(entry.value) : 0n;
    const versions: router.ModelCatalog[] = [];
    for (let version = 1n; version <= newest; version += 1n) {
      const catalog = await this.versions.get(version);
      if (!catalog) throw new Error(`catalog version ${version} is missing below ${newest}`);
      versions.push(catalog);
    }
    return { entry, newest, versions };
  }
}

function versionOf(value: Uint8Array): bigint {
  const text = new TextDecoder().decode(value);
  if (!/^[1-9][0-9]*$/.test(text)) {
    throw new Error(`catalog '${CURRENT_CATALOG_KEY}' holds '${text}', not a version number`);
  }
  return BigInt(text);
}
