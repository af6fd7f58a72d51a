// The route step: which variant and models serve a request, from the local policy snapshot,
// narrowed to the models able to serve it, with the max_tokens and input that fit them and the
// guardrails the request runs under.
import type { ModelCapability, TokenCount } from '@keel/catalog';
import type { common, router } from '@keel/contracts';
import { FailedPreconditionError, UnavailableError } from '@keel/errors';
import type { Policy } from '@keel/routing';
import { type EffectiveGuardrails, effectiveGuardrails } from '../guardrails/effective';
import { checkInputTokens, checkMessageCount, outputTokensWithin } from '../guardrails/limits';
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
  /** The function's guardrails, each part falling back to its tenant's. */
  guardrails: EffectiveGuardrails;
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
  const guardrails = effectiveGuardrails(
    policy.function(tenantId, decision.functionName),
    policy.tenantSettings(tenantId),
  );
  checkMessageCount(guardrails.limits, request.messages.length);
  const chain = modelsServing(modelsOf(policy, decision), needs);
  const maxTokens = outputTokensWithin(guardrails.limits, {
    requested: request.maxTokens,
    variantName: decision.variantName,
    variantDefault: decision.defaultMaxTokens,
    resolved: resolveMaxTokens(request.maxTokens, decision.defaultMaxTokens, chain),
  });
  const inputTokens = await checkContextWindow(
    chain[0],
    request.messages,
    request.tools,
    maxTokens,
  );
  checkInputTokens(guardrails.limits, inputTokens.tokens);
  return { decision, chain, maxTokens, inputTokens, guardrails };
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
