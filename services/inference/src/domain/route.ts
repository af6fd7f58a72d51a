// The route step: which variant and models serve a request, from the local policy snapshot,
// narrowed to the models able to serve it, with the max_tokens and input that fit them.
import type { ModelCapability, TokenCount } from '@keel/catalog';
import type { common, router } from '@keel/contracts';
import { FailedPreconditionError, UnavailableError } from '@keel/errors';
import type { Policy } from '@keel/routing';
import { modelsServing } from './capabilities';
import { checkContextWindow } from './context-window';
import { resolveMaxTokens } from './validate';

export interface RouteInput {
  functionName: string;
  model: string;
  maxTokens: number;
  messages: common.ChatMessage[];
  tools: common.Tool[];
}

export interface Route {
  decision: router.RouteDecision;
  /** The decision's chain, without the models that lack a capability the request needs. */
  chain: router.Model[];
  maxTokens: number;
  /** The input's tokens on the chain's first model. */
  inputTokens: TokenCount;
}

export async function routeRequest(
  policy: Policy | null,
  tenantId: string,
  request: RouteInput,
  needs: ModelCapability[],
): Promise<Route> {
  if (!policy) {
    throw new UnavailableError('the routing policy has not been loaded yet; retry shortly');
  }
  const decision = policy.decide({
    tenantId,
    functionName: request.functionName,
    model: request.model,
  });
  const chain = modelsServing(modelsOf(policy, decision), needs);
  const maxTokens = resolveMaxTokens(request.maxTokens, decision.defaultMaxTokens, chain);
  const inputTokens = await checkContextWindow(
    chain[0],
    request.messages,
    request.tools,
    maxTokens,
  );
  return { decision, chain, maxTokens, inputTokens };
}

/** The catalog entries of the decision's chain (the policy checked that each exists). */
function modelsOf(policy: Policy, decision: router.RouteDecision): router.Model[] {
  return decision.modelChain.map((name) => {
    const model = policy.model(name);
    if (!model) {
      throw new FailedPreconditionError(
        `model '${name}' is not in catalog ${policy.catalog.version}`,
      );
    }
    return model;
  });
}
