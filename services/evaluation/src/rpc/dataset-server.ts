// Binds the DatasetService: reads need a key with the analytics scope, writes one with the admin
// scope (starting an experiment also the inference scope: its inferences run with that key).
import { evaluation, router } from '@keel/contracts';
import { type KeelServer, type KeyRing, type KitLogger, type Principal, unary } from '@keel/kit';
import type { ExperimentRuns } from '../experiments/experiment-runs';
import { apiKeyOf } from '../experiments/experiment-inference';
import { addExamplesRpc } from './add-examples';
import { addExamplesFromInferencesRpc } from './add-examples-from-inferences';
import { createDatasetRpc } from './create-dataset';
import type { DatasetDeps } from './dataset-deps';
import { getExperimentRpc } from './get-experiment';
import { listDatasetsRpc } from './list-datasets';
import { listExamplesRpc } from './list-examples';
import { listExperimentsRpc } from './list-experiments';
import { promoteCorrectionRpc } from './promote-correction';
import { startExperimentRpc } from './start-experiment';

const { API_KEY_SCOPE_ADMIN: ADMIN, API_KEY_SCOPE_ANALYTICS: ANALYTICS } = router.ApiKeyScope;

export function bindDatasetService(
  server: KeelServer,
  deps: DatasetDeps & { runs: ExperimentRuns; keyRing: KeyRing; logger: KitLogger },
): void {
  const { keyRing, logger } = deps;
  const scoped =
    (scope: router.ApiKeyScope) =>
    <Req, Res>(handler: (request: Req, principal: Principal, apiKey: string) => Promise<Res>) =>
      unary<Req, Res>({
        logger,
        keyRing,
        scope,
        handler: (request, context) =>
          handler(request, context.principal as Principal, apiKeyOf(context.metadata)),
      });
  const admin = scoped(ADMIN);
  const analytics = scoped(ANALYTICS);

  const handlers: evaluation.DatasetServiceServer = {
    createDataset: admin((request: evaluation.CreateDatasetRequest, principal) =>
      createDatasetRpc(deps, principal, request),
    ),
    listDatasets: analytics((request: evaluation.ListDatasetsRequest, principal) =>
      listDatasetsRpc(deps, principal, request),
    ),
    addExamples: admin((request: evaluation.AddExamplesRequest, principal) =>
      addExamplesRpc(deps, principal, request),
    ),
    addExamplesFromInferences: admin(
      (request: evaluation.AddExamplesFromInferencesRequest, principal) =>
        addExamplesFromInferencesRpc(deps, principal, request),
    ),
    promoteCorrection: admin((request: evaluation.PromoteCorrectionRequest, principal) =>
      promoteCorrectionRpc(deps, principal, request),
    ),
    listExamples: analytics((request: evaluation.ListExamplesRequest, principal) =>
      listExamplesRpc(deps, principal, request),
    ),
    startExperiment: admin((request: evaluation.StartExperimentRequest, principal, apiKey) =>
      startExperimentRpc(deps, principal, apiKey, request),
    ),
    getExperiment: analytics((request: evaluation.GetExperimentRequest, principal) =>
      getExperimentRpc(deps, principal, request),
    ),
    listExperiments: analytics((request: evaluation.ListExperimentsRequest, principal) =>
      listExperimentsRpc(deps, principal, request),
    ),
  };
  server.addService(evaluation.DatasetServiceService, handlers);
}
