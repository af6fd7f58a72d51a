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
  /** '' lets the function's policy pick; a name runs that variant (experiments, debugging). */
  variantName: string;
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
  /** The budget whose DOWNGRADE action chose this route's variant, if one did. */
  downgradedByBudget?: string;
}

/**
 * Routes `request` by the catalog in effect at `startedAt`, when the request started: its
 * decision's catalog_version is the one the request is then priced and billed by.
 */
export async function routeRequest(
  policy: Policy | null,
  tenantId: string,
  request: RouteInput,
  needs: ModelCapability[],
  startedAt: Date = new Date(),
): Promise<Route> {
  if (!policy) {
    throw new UnavailableError('the routing policy has not been loaded yet; retry shortly');
  }
  const decision = policy.decide({
    tenantId,
    functionName: request.functionName,
    model: request.model,
    variantName: request.variantName,
    at: startedAt,
  });
  const guardrails = effectiveGuardrails(
    policy.function(tenantId, decision.functionName),
    policy.tenantSettings(tenantId),
  );
  checkMessageCount(guardrails.limits, request.messages.length);
  const chain = modelsServing(modelsOf(policy, decision, startedAt), needs);
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
function modelsOf(policy: Policy, decision: router.RouteDecision, at: Date): router.Model[] {
  return decision.modelChain.map((name) => {
    const model = policy.model(name, at);
    if (!model) {
      throw new FailedPreconditionError(
        `model '${name}' is not in catalog ${decision.catalogVersion}`,
      );
    }
    return model;
  });
}
