// GetEvaluatorStats: what each evaluator did (runs, skips, errors, dead letters) per function.
import { actingTenant } from '@keel/kit';
import type { evaluation } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import { evaluatorStats } from '../store/evaluator-stats';
import type { QueryDeps } from './deps';

export async function getEvaluatorStatsRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.GetEvaluatorStatsRequest,
): Promise<evaluation.GetEvaluatorStatsResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  return { stats: await evaluatorStats(deps.store, tenantId, request.functionName) };
}
