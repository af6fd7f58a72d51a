// The catalog is the built-in models and the models the operator stored (PutModel), which
// replace built-in ones of the same name from their effective time on. Published at start and
// after every PutModel: the catalog in effect now, and one per change scheduled ahead.
import { builtinCatalog } from '@keel/catalog';
import type { router } from '@keel/contracts';
import { catalogSchedule } from '../domain/catalog-schedule';
import type { Catalogs } from '../snapshots/catalog';
import type { ModelStore } from '../store/models';

/**
 * Publishes the catalogs the built-in and stored models call for from `now` on; returns the
 * version in effect at each of their times, the one in effect at `now` first.
 */
export function publishCatalog(
  catalogs: Catalogs,
  models: ModelStore,
  now: Date = new Date(),
): Promise<router.ModelCatalog[]> {
  return catalogs.publish(async () => catalogSchedule(builtinCatalog(0n), await models.all(), now));
}
