// The catalog is the built-in models and the models the operator stored (PutModel), which
// replace built-in ones of the same name. Published at start and after every PutModel.
import { builtinCatalog } from '@keel/catalog';
import type { router } from '@keel/contracts';
import { catalogWithModels } from '../domain/model';
import type { Catalogs } from '../snapshots/catalog';
import type { ModelStore } from '../store/models';

/** Makes the catalog of the built-in and stored models current; returns it. */
export function publishCatalog(
  catalogs: Catalogs,
  models: ModelStore,
): Promise<router.ModelCatalog> {
  return catalogs.publish(async () => catalogWithModels(builtinCatalog(0n), await models.all()));
}
