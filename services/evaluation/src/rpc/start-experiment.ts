import { evaluation, router } from '@keel/contracts';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnavailableError,
} from '@keel/errors';
import { actingTenant, type Principal } from '@keel/kit';
import { uuidv7 } from 'uuidv7';
import { type PlannedEvaluator, planned } from '../domain/evaluation-plans';
import { checkExperimentRequest } from '../domain/experiment-request';
import type { ExperimentRuns } from '../experiments/experiment-runs';
import type { DatasetDeps } from './dataset-deps';
import { existingDataset } from './existing-dataset';

/**
 * Checks the request, stores the experiment RUNNING and starts running it in the background,
 * with the caller's own key: the caller's tenant, rate limits and bills apply to its inferences.
 */
export async function startExperimentRpc(
  deps: DatasetDeps & { runs: ExperimentRuns },
  principal: Principal,
  apiKey: string,
  request: evaluation.StartExperimentRequest,
): Promise<evaluation.StartExperimentResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  if (tenantId !== principal.tenantId) {
    throw new FailedPreconditionError(
      `an experiment runs its inferences with the caller's key, so on the caller's tenant: ` +
        `start it with a key of tenant '${tenantId}'`,
    );
  }
  if (!principal.scopes.includes(router.ApiKeyScope.API_KEY_SCOPE_INFERENCE)) {
    throw new PermissionDeniedError(
      "an experiment runs inferences with this API key: it needs the 'inference' scope as well as 'admin'",
    );
  }
  await existingDataset(deps, tenantId, request.datasetName);
  if (request.functionName === '') {
    throw new InvalidArgumentError('function_name', 'must not be empty');
  }
  const policy = deps.policy();
  if (!policy) throw new UnavailableError('no policy snapshot has arrived yet; retry shortly');
  const fn = policy.function(tenantId, request.functionName);
  if (!fn) throw new NotFoundError(`function '${request.functionName}' does not exist`);
  const checked = checkExperimentRequest(request, fn);
  const evaluators = evaluatorsOf(deps, tenantId, request);
  const examples = await deps.datasets.allExamples(tenantId, request.datasetName);
  if (examples.length === 0) {
    throw new FailedPreconditionError(`dataset '${request.datasetName}' has no examples`);
  }

  const experiment = evaluation.Experiment.fromPartial({
    experimentId: uuidv7(),
    tenantId,
    datasetName: request.datasetName,
    functionName: request.functionName,
    variantNames: checked.variantNames,
    gate: checked.gate,
    status: evaluation.ExperimentStatus.EXPERIMENT_STATUS_RUNNING,
    completed: 0n,
    total: BigInt(examples.length * checked.variantNames.length),
    startedAt: new Date(),
  });
  await deps.runner.experiments.insert(experiment);
  deps.runs.start({
    experiment,
    examples,
    evaluators,
    serviceLevel: fn.serviceLevel,
    apiKey,
    concurrency: checked.concurrency,
  });
  return { experiment };
}

/** The evaluators named, each with its default params; else the function's own. */
function evaluatorsOf(
  deps: DatasetDeps,
  tenantId: string,
  request: evaluation.StartExperimentRequest,
): PlannedEvaluator[] {
  if (request.evaluators.length === 0) {
    const plan = deps.plans.planOf(tenantId, request.functionName);
    if (!plan) throw new UnavailableError('no policy snapshot has arrived yet; retry shortly');
    return plan.evaluators;
  }
  return request.evaluators.map((id, index) => {
    const evaluator = planned(id, 1, '');
    if (evaluator.problem) {
      throw new InvalidArgumentError(`evaluators[${index}]`, evaluator.problem);
    }
    return evaluator;
  });
}
