import { requireOperator } from '@keel/kit';
import type { router } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { validateProvider } from '../domain/provider';
import { providerDoc } from '../store/providers';

/** Creates or replaces a provider and publishes the policy that carries it to inference. */
export async function putProviderRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.PutProviderRequest,
): Promise<router.PutProviderResponse> {
  requireOperator(principal, 'configure providers');
  const provider: router.Provider = {
    ...validateProvider(request.provider),
    updatedAt: new Date(),
  };
  await deps.store.providers.put(providerDoc(provider));
  return { provider, policyVersion: await deps.publisher.publishPolicy() };
}
