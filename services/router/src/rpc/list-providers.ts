import { requireOperator } from '@keel/kit';
import type { router } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { simProvider } from '../domain/provider';

/** The built-in sim, then every configured provider by name. */
export async function listProvidersRpc(
  deps: RouterDeps,
  principal: Principal,
): Promise<router.ListProvidersResponse> {
  requireOperator(principal, 'list providers');
  return { providers: [simProvider(), ...(await deps.store.providers.all())] };
}
