// The semantic cache's steps in Complete and Stream, after the exact cache missed: the question
// is embedded by the retrieval service (one hop, only for a function with a semantic cache) and
// looked up; a hit is recorded like an exact hit, marked semantic with its similarity. A request
// in which the guardrails found personal data is neither embedded nor looked up (its answer would
// not be kept either). The cache never fails a request: an embedding that cannot be had is a
// miss, and nothing is kept.
import type { inference } from '@keel/contracts';
import type { CachedRequest } from '../cache/exact-cache';
import type { SemanticHit, SemanticPlan } from '../cache/semantic-cache';
import type { Route } from '../domain/route';
import type { RequestGuard } from '../guardrails/request-guard';
import type { InferenceDependencies } from './deps';
import { routedFunction } from './retrieve';
import { step } from './shared';

export interface SemanticLookup {
  plan: SemanticPlan;
  /** The question's embedding, kept with the answer; null when it could not be had. */
  embedded: { model: string; vector: Float32Array } | null;
  hit: SemanticHit | null;
}

/** The lookup of a function with a semantic cache; null for a function without one. */
export async function lookUpSemanticCache(
  deps: InferenceDependencies,
  tenantId: string,
  route: Route,
  request: CachedRequest,
  guard: RequestGuard,
  caller: { authorization: string; deadline: number },
): Promise<SemanticLookup | null> {
  const found = guard.guardrailReport()?.inputPiiCounts ?? {};
  if (Object.values(found).some((count) => count > 0)) return null;
  const { decision } = route;
  const routedBy = deps.follower.policy?.version === decision.policyVersion;
  const plan = deps.semanticCache.plan(
    {
      tenantId,
      functionName: decision.functionName,
      variantName: decision.variantName,
      chain: route.chain,
      maxTokens: route.maxTokens,
      fn: routedFunction(deps, tenantId, route),
      tenantSettings: routedBy ? (deps.follower.policy?.tenantSettings(tenantId) ?? null) : null,
    },
    request,
  );
  if (plan.use !== 'on') return null;
  return step('semantic-cache', async () => {
    try {
      const embedded = await deps.retrieval.embed(
        tenantId,
        plan.question,
        caller.authorization,
        caller.deadline,
      );
      return { plan, embedded, hit: deps.semanticCache.find(plan, embedded) };
    } catch (error) {
      deps.logger.warn(
        { err: error },
        'the request could not be embedded for the semantic cache: answering as a miss',
      );
      return { plan, embedded: null, hit: null };
    }
  });
}

/** Stores a model's answer for later questions close to this one. Never throws. */
export async function keepSemantic(
  deps: InferenceDependencies,
  lookup: SemanticLookup | null,
  event: inference.InferenceCompleted,
): Promise<void> {
  if (lookup?.embedded) await deps.semanticCache.keep(lookup.plan, lookup.embedded, event);
}
