// Binds the BillingService: every RPC needs a key with the analytics scope (Reconcile also
// operator power). One line per handler.
import { billing, router } from '@keel/contracts';
import { type KeelServer, type KeyRing, type KitLogger, type Principal, unary } from '@keel/kit';
import type { ReportDeps } from './deps';
import { getUsageRpc } from './get-usage';
import { reconcileRpc } from './reconcile';
import { topFunctionsRpc } from './top-functions';

const ANALYTICS = router.ApiKeyScope.API_KEY_SCOPE_ANALYTICS;

export function bindBillingService(
  server: KeelServer,
  deps: ReportDeps & { keyRing: KeyRing; logger: KitLogger },
): void {
  const { keyRing, logger } = deps;
  const analytics = <Req, Res>(handler: (request: Req, principal: Principal) => Promise<Res>) =>
    unary<Req, Res>({
      logger,
      keyRing,
      scope: ANALYTICS,
      handler: (request, context) => handler(request, context.principal as Principal),
    });

  const handlers: billing.BillingServiceServer = {
    getUsage: analytics((request: billing.GetUsageRequest, principal) =>
      getUsageRpc(deps, principal, request),
    ),
    topFunctions: analytics((request: billing.TopFunctionsRequest, principal) =>
      topFunctionsRpc(deps, principal, request),
    ),
    reconcile: analytics((request: billing.ReconcileRequest, principal) =>
      reconcileRpc(deps, principal, request),
    ),
  };
  server.addService(billing.BillingServiceService, handlers);
}
