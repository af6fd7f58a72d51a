import { catalogInEffect } from '@keel/catalog';
import { requireOperator } from '@keel/kit';
import type { router } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { effectiveTimeOf, requireProvider, validateModel } from '../domain/model';
import { publishCatalog } from '../operations/publish-catalog';
import { modelDoc } from '../store/models';

/**
 * Stores a model (replacing one of the same name from its effective time on), publishes the
 * catalog version that holds it (ahead of its time for a scheduled change) and the policy
 * snapshot that carries that catalog.
 */
export async function putModelRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.PutModelRequest,
): Promise<router.PutModelResponse> {
  requireOperator(principal, 'change the model catalog');
  const now = new Date();
  const model = validateModel(request.model);
  const effectiveAt = effectiveTimeOf(request.effectiveAt, now);
  requireProvider(model, await deps.store.providers.names(), 'model.provider');
  await deps.store.models.put(modelDoc({ model, effectiveAt }, now));
  const published = await publishCatalog(deps.catalogs, deps.store.models, now);
  await deps.publisher.publishPolicy();
  return { catalog: catalogInEffect(published, effectiveAt) ?? undefined };
}
