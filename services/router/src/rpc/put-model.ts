import { requireOperator } from '@keel/kit';
import type { router } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { requireProvider, validateModel } from '../domain/model';
import { publishCatalog } from '../operations/publish-catalog';
import { modelDoc } from '../store/models';

/**
 * Stores a model (replacing one of the same name), publishes the catalog version that holds it
 * and the policy snapshot that carries that catalog.
 */
export async function putModelRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.PutModelRequest,
): Promise<router.PutModelResponse> {
  requireOperator(principal, 'change the model catalog');
  const model = validateModel(request.model);
  requireProvider(model, await deps.store.providers.names(), 'model.provider');
  await deps.store.models.put(modelDoc(model, new Date()));
  const catalog = await publishCatalog(deps.catalogs, deps.store.models);
  await deps.publisher.publishPolicy();
  return { catalog };
}
