// Binds the RouterService RPCs: writes need an admin key (providers and models an operator's);
// Route and GetCatalog any valid key.
import type { handleUnaryCall } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { unary, type KeyRing, type KitLogger, type Principal } from '@keel/kit';
import type { RouterDeps } from './deps';
import { createApiKeyRpc } from './rpc/create-api-key';
import { createTenantRpc } from './rpc/create-tenant';
import { deleteBudgetRpc } from './rpc/delete-budget';
import { getCatalogRpc } from './rpc/get-catalog';
import { listBudgetsRpc } from './rpc/list-budgets';
import { listProvidersRpc } from './rpc/list-providers';
import { putBudgetRpc } from './rpc/put-budget';
import { putFunctionRpc } from './rpc/put-function';
import { putModelRpc } from './rpc/put-model';
import { putProviderRpc } from './rpc/put-provider';
import { promoteVariantRpc } from './rpc/promote-variant';
import { putTenantSettingsRpc } from './rpc/put-tenant-settings';
import { revokeApiKeyRpc } from './rpc/revoke-api-key';
import { routeRpc } from './rpc/route';

const ADMIN = router.ApiKeyScope.API_KEY_SCOPE_ADMIN;

export function routerService(deps: RouterDeps, logger: KitLogger): router.RouterServiceServer {
  const keyRing = deps.follower.keyRing;
  const admin = <Req, Res>(handler: (request: Req, principal: Principal) => Promise<Res>) =>
    authenticated(logger, keyRing, ADMIN, handler);
  const anyKey = <Req, Res>(handler: (request: Req, principal: Principal) => Promise<Res>) =>
    authenticated(logger, keyRing, null, handler);

  return {
    createTenant: admin((request: router.CreateTenantRequest, principal) =>
      createTenantRpc(deps, principal, request),
    ),
    createApiKey: admin((request: router.CreateApiKeyRequest, principal) =>
      createApiKeyRpc(deps, principal, request),
    ),
    revokeApiKey: admin((request: router.RevokeApiKeyRequest, principal) =>
      revokeApiKeyRpc(deps, principal, request),
    ),
    putFunction: admin((request: router.PutFunctionRequest, principal) =>
      putFunctionRpc(deps, principal, request),
    ),
    putTenantSettings: admin((request: router.PutTenantSettingsRequest, principal) =>
      putTenantSettingsRpc(deps, principal, request),
    ),
    putProvider: admin((request: router.PutProviderRequest, principal) =>
      putProviderRpc(deps, principal, request),
    ),
    listProviders: admin((_request: router.ListProvidersRequest, principal) =>
      listProvidersRpc(deps, principal),
    ),
    putModel: admin((request: router.PutModelRequest, principal) =>
      putModelRpc(deps, principal, request),
    ),
    putBudget: admin((request: router.PutBudgetRequest, principal) =>
      putBudgetRpc(deps, principal, request),
    ),
    deleteBudget: admin((request: router.DeleteBudgetRequest, principal) =>
      deleteBudgetRpc(deps, principal, request),
    ),
    listBudgets: admin((request: router.ListBudgetsRequest, principal) =>
      listBudgetsRpc(deps, principal, request),
    ),
    promoteVariant: admin((request: router.PromoteVariantRequest, principal) =>
      promoteVariantRpc(deps, principal, request),
    ),
    route: anyKey((request: router.RouteRequest, principal) => routeRpc(deps, principal, request)),
    getCatalog: anyKey((_request: router.GetCatalogRequest) => getCatalogRpc(deps)),
  };
}

/** A unary handler for an authenticated caller: with `scope`, one holding that scope. */
function authenticated<Req, Res>(
  logger: KitLogger,
  keyRing: KeyRing,
  scope: router.ApiKeyScope | null,
  handler: (request: Req, principal: Principal) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return unary<Req, Res>({
    logger,
    keyRing,
    ...(scope === null ? {} : { scope }),
    handler: (request, context) =>
      handler(request, context.principal ?? keyRing.authenticate(context.metadata)),
  });
}
