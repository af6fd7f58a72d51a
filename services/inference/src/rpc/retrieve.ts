// The retrieve step: for a function that names a collection, the passages that best match the
// request's question, fitted into the function's token budget in the routed model's tokens.
// Retrieval is asked with the caller's own authorization, so it reads the caller's tenant only.
import { countTokens } from '@keel/catalog';
import type { common, router } from '@keel/contracts';
import type { Route } from '../domain/route';
import { type FittedContext, fitContext, retrievalQuery } from '../domain/retrieved-context';
import type { InferenceDependencies } from './deps';
import { step } from './shared';

export const DEFAULT_RETRIEVAL_TOP_K = 5;
export const DEFAULT_MAX_CONTEXT_TOKENS = 1_024;

/** The function as routed: a snapshot that changed since may hold another by that name. */
export function routedFunction(
  deps: Pick<InferenceDependencies, 'follower'>,
  tenantId: string,
  route: Route,
): router.KeelFunction | null {
  const policy = deps.follower.policy;
  const routedBy = policy?.version === route.decision.policyVersion ? policy : null;
  return routedBy?.function(tenantId, route.decision.functionName) ?? null;
}

/** The fitted context, or null when the function uses none. */
export async function retrieveContext(
  deps: InferenceDependencies,
  tenantId: string,
  route: Route,
  messages: common.ChatMessage[],
  caller: { authorization: string; deadline: number },
): Promise<FittedContext | null> {
  const config = routedFunction(deps, tenantId, route)?.retrieval;
  if (!config) return null;
  return step('retrieve', async () => {
    const query = retrievalQuery(messages);
    const passages =
      query.trim() === ''
        ? []
        : await deps.retrieval.retrieve(
            {
              tenantId,
              collection: config.collection,
              query,
              topK: config.topK || DEFAULT_RETRIEVAL_TOP_K,
              filter: config.filter,
            },
            caller.authorization,
            caller.deadline,
          );
    const model = route.chain[0];
    const budget = Number(config.maxContextTokens) || DEFAULT_MAX_CONTEXT_TOKENS;
    return fitContext(config.collection, passages, budget, async (text) => {
      return (await countTokens(model, text)).tokens;
    });
  });
}
