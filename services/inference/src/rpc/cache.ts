// The exact cache's steps in Complete and Stream. The lookup comes after the idempotency claim:
// a repeat of an idempotency key gets its first answer (the same inference), never a new hit. A
// hit is an inference of its own, recorded like any other: the original's answer and usage, no
// attempts, cost 0, and which inference it came from with what that cost (the saving).
import { common, inference, router } from '@keel/contracts';
import type { CachePlan, CachedRequest } from '../cache/exact-cache';
import type { CachedAnswer } from '../cache/entry';
import { completeResponse } from '../domain/answer';
import type { ChainOutcome, ServedAnswer } from '../domain/fallback';
import type { Route } from '../domain/route';
import type { InferenceDependencies } from './deps';
import { type RecordedRequest, publishCompleted, step } from './shared';

export interface CacheLookup {
  plan: CachePlan;
  hit: CachedAnswer | null;
}

/** The cache's plan for a routed request, and its live answer if one is stored. */
export async function lookUpCache(
  deps: InferenceDependencies,
  tenantId: string,
  route: Route,
  request: CachedRequest,
): Promise<CacheLookup> {
  const { decision } = route;
  const policy = deps.follower.policy;
  // The function as routed: a snapshot that changed since may hold another variant by that name.
  const routedBy = policy?.version === decision.policyVersion ? policy : null;
  const plan = deps.cache.plan(
    {
      tenantId,
      functionName: decision.functionName,
      variantName: decision.variantName,
      chain: route.chain,
      maxTokens: route.maxTokens,
      fn: routedBy?.function(tenantId, decision.functionName) ?? null,
      tenantSettings: routedBy?.tenantSettings(tenantId) ?? null,
    },
    request,
  );
  // Only a cached function's lookup is a step of its own; a bypass is still counted.
  const read = () => deps.cache.read(plan);
  return { plan, hit: plan.use === 'on' ? await step('cache', read) : await read() };
}

/**
 * Publishes the hit's InferenceCompleted, then returns its answer. A hit with a similarity is
 * the semantic cache's.
 */
export async function recordCacheHit(
  deps: InferenceDependencies,
  call: RecordedRequest,
  hit: Pick<CachedAnswer, 'answer'> & { similarity?: number },
  streamed: boolean,
): Promise<inference.CompleteResponse> {
  const { answer } = hit;
  const cacheHit = inference.CacheHit.fromPartial({
    sourceInferenceId: answer.inferenceId,
    savedNanoUsd: answer.costNanoUsd,
    semantic: hit.similarity !== undefined,
    similarity: hit.similarity ?? 0,
  });
  const served: ServedAnswer = {
    // Only the name of the model that served is kept; it may have left the catalog since.
    model: router.Model.fromPartial({ name: answer.model }),
    text: answer.text,
    usage: common.Usage.fromPartial(answer.usage ?? {}),
    toolCalls: answer.toolCalls,
    finishReason: answer.finishReason,
  };
  const outcome: ChainOutcome = { served, attempts: [], costNanoUsd: 0n };
  await publishCompleted(deps, call, {
    outcome,
    streamed,
    // A hit's whole answer is ready at once: its first token goes out with it.
    timeToFirstTokenMs: streamed ? performance.now() - call.started : undefined,
    cacheHit,
  });
  return { ...completeResponse(call.inferenceId, call.route.decision, served, outcome), cacheHit };
}
