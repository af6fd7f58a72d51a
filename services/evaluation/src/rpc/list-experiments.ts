import type { evaluation } from '@keel/contracts';
import { actingTenant, type Principal } from '@keel/kit';
import type { DatasetDeps } from './dataset-deps';

/** The tenant's experiments (of one function when named), newest first. */
export async function listExperimentsRpc(
  deps: DatasetDeps,
  principal: Principal,
  request: evaluation.ListExperimentsRequest,
): Promise<evaluation.ListExperimentsResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  return { experiments: await deps.runner.experiments.list(tenantId, request.functionName) };
}
