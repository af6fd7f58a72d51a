import type { evaluation } from '@keel/contracts';
import { InvalidArgumentError, NotFoundError } from '@keel/errors';
import { actingTenant, type Principal } from '@keel/kit';
import type { DatasetDeps } from './dataset-deps';

/** The experiment as it stands: its progress while it runs, its results once completed. */
export async function getExperimentRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.GetExperimentRequest,
): Promise<evaluation.GetExperimentResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  if (request.experimentId === '') {
    throw new InvalidArgumentError('experiment_id', 'must not be empty');
  }
  const experiment = await deps.runner.experiments.get(tenantId, request.experimentId);
  if (!experiment) throw new NotFoundError(`experiment '${request.experimentId}' does not exist`);
  return { experiment, evaluations: [] };
}
