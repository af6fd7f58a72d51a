// AnalyzeFailures: one pass over the matching evaluations counts failures per group; the
// failing inferences' last user messages then give the repeated failing inputs. Memory grows
// with the number of failing inferences (their ids are held), time with the evaluations read,
// as for an aggregate computed in the service.
import { actingTenant } from '@keel/kit';
import { evaluation } from '@keel/contracts';
import type { Principal } from '@keel/kit';
import { boundedCount, evaluationQueryOf } from '../domain/evaluation-query';
import { FailureCounts, repeatedInputs } from '../domain/failure-analysis';
import { lastUserMessagesOf, streamEvaluationDocuments } from '../store/evaluation-queries';
import type { QueryDeps } from './deps';

/** Failing inferences read back per query to the store. */
const INFERENCE_BATCH = 1000;

export async function analyzeFailuresRpc(
  deps: QueryDeps,
  principal: Principal,
  request: evaluation.AnalyzeFailuresRequest,
): Promise<evaluation.AnalyzeFailuresResponse> {
  const tenantId = actingTenant(principal, request.filter?.tenantId ?? '');
  const query = evaluationQueryOf(request.filter, tenantId);
  const top = boundedCount('top_inputs', request.topInputs, 10, 100);

  const counts = new FailureCounts();
  for await (const doc of streamEvaluationDocuments(deps.store, query)) {
    counts.add({
      evaluator: doc.evaluator,
      label: doc.label,
      functionName: doc.function_name,
      variantName: doc.variant_name,
      inferenceId: doc.inference_id,
      failed: doc.failed,
    });
  }

  const failed: Array<{ inferenceId: string; input: string }> = [];
  const ids = [...counts.failedInferences];
  for (let start = 0; start < ids.length; start += INFERENCE_BATCH) {
    const batch = ids.slice(start, start + INFERENCE_BATCH);
    for (const [inferenceId, input] of await lastUserMessagesOf(deps.store, tenantId, batch)) {
      // An inference without a user message has no input to group by.
      if (input !== '') failed.push({ inferenceId, input });
    }
  }

  const asProto = (groups: ReturnType<FailureCounts['labels']>) =>
    groups.map(({ group, failures, total }) => ({
      group,
      failures: BigInt(failures),
      total: BigInt(total),
    }));
  return evaluation.AnalyzeFailuresResponse.fromPartial({
    byLabel: asProto(counts.labels()),
    byVariant: asProto(counts.variants()),
    topFailingInputs: repeatedInputs(failed, top).map((input) => ({
      input: input.input,
      failures: BigInt(input.failures),
      inferenceIds: input.inferenceIds,
    })),
  });
}
