import type { router } from '@keel/contracts';
import type { RouterDeps } from '../deps';

export async function getCatalogRpc(deps: RouterDeps): Promise<router.GetCatalogResponse> {
  return { catalog: await deps.catalogs.current() };
}
