// Binds the EvaluationService: every RPC needs a key with the analytics scope. One line per
// handler.
import { evaluation, router } from '@keel/contracts';
import {
  type KeelServer,
  type KeyRing,
  type KitLogger,
  type Principal,
  type Send,
  serverStream,
  unary,
} from '@keel/kit';
import { aggregateEvaluationsRpc } from './aggregate-evaluations';
import { analyzeFailuresRpc } from './analyze-failures';
import type { QueryDeps } from './deps';
import { exportEvaluationsRpc } from './export-evaluations';
import { getEvaluatorStatsRpc } from './get-evaluator-stats';
import { getInferenceRpc } from './get-inference';
import { listDriftAlertsRpc } from './list-drift-alerts';
import { listEvaluationsRpc } from './list-evaluations';
import { worstInferencesRpc } from './worst-inferences';

const ANALYTICS = router.ApiKeyScope.API_KEY_SCOPE_ANALYTICS;

export function bindEvaluationService(
  server: KeelServer,
  deps: QueryDeps & { keyRing: KeyRing; logger: KitLogger },
): void {
  const { keyRing, logger } = deps;
  const analytics = <Req, Res>(handler: (request: Req, principal: Principal) => Promise<Res>) =>
    unary<Req, Res>({
      logger,
      keyRing,
      scope: ANALYTICS,
      handler: (request, context) => handler(request, context.principal as Principal),
    });
  const analyticsStream = <Req, Res>(
    handler: (request: Req, principal: Principal, send: Send<Res>) => Promise<void>,
  ) =>
    serverStream<Req, Res>({
      logger,
      keyRing,
      scope: ANALYTICS,
      handler: (request, context, send) => handler(request, context.principal as Principal, send),
    });

  const handlers: evaluation.EvaluationServiceServer = {
    listEvaluations: analytics((request: evaluation.ListEvaluationsRequest, principal) =>
      listEvaluationsRpc(deps, principal, request),
    ),
    aggregateEvaluations: analytics((request: evaluation.AggregateEvaluationsRequest, principal) =>
      aggregateEvaluationsRpc(deps, principal, request),
    ),
    worstInferences: analytics((request: evaluation.WorstInferencesRequest, principal) =>
      worstInferencesRpc(deps, principal, request),
    ),
    analyzeFailures: analytics((request: evaluation.AnalyzeFailuresRequest, principal) =>
      analyzeFailuresRpc(deps, principal, request),
    ),
    getEvaluatorStats: analytics((request: evaluation.GetEvaluatorStatsRequest, principal) =>
      getEvaluatorStatsRpc(deps, principal, request),
    ),
    getInference: analytics((request: evaluation.GetInferenceRequest, principal) =>
      getInferenceRpc(deps, principal, request),
    ),
    listDriftAlerts: analytics((request: evaluation.ListDriftAlertsRequest, principal) =>
      listDriftAlertsRpc(deps, principal, request),
    ),
    exportEvaluations: analyticsStream(
      (
        request: evaluation.ExportEvaluationsRequest,
        principal,
        send: Send<evaluation.ExportEvaluationsResponse>,
      ) => exportEvaluationsRpc(deps, principal, request, send),
    ),
  };
  server.addService(evaluation.EvaluationServiceService, handlers);
}
