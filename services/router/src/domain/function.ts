// Checks a function's definition against the naming rules and the current model catalog.
import { findModel } from '@keel/catalog';
import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { validateEvaluators, validateServiceLevel } from './evaluation-settings';
import { validateGuardrails } from './guardrails';
import { requireProvider } from './model';
import { validateRetrieval, validateSemanticCache } from './retrieval-settings';
import { validateCachePolicy, validateRateLimit } from './settings';

/** Function and variant names: lowercase, digits and `._-`, up to 64 characters. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAME_RULE = `must match ${NAME.source}`;

export interface FunctionDefinition {
  functionName: string;
  variants: router.Variant[];
  policy: router.RoutingPolicy;
  guardrails: router.Guardrails | undefined;
  rateLimit: router.RateLimit | undefined;
  cache: router.CachePolicy | undefined;
  evaluators: router.EvaluatorConfig[];
  serviceLevel: router.ServiceLevel | undefined;
  retrieval: router.RetrievalConfig | undefined;
  semanticCache: router.SemanticCachePolicy | undefined;
}

/**
 * The definition to store, or InvalidArgumentError naming the first field at fault. A request
 * without a policy runs its first variant, stated as a fixed policy.
 */
export function validateFunction(
  request: {
    functionName: string;
    variants: router.Variant[];
    policy: router.RoutingPolicy | undefined;
    guardrails?: router.Guardrails | undefined;
    rateLimit?: router.RateLimit | undefined;
    cache?: router.CachePolicy | undefined;
    evaluators?: router.EvaluatorConfig[];
    serviceLevel?: router.ServiceLevel | undefined;
    retrieval?: router.RetrievalConfig | undefined;
    semanticCache?: router.SemanticCachePolicy | undefined;
  },
  catalog: router.ModelCatalog,
): FunctionDefinition {
  if (!NAME.test(request.functionName)) {
    throw new InvalidArgumentError(
      'function_name',
      `'${request.functionName}' ${NAME_RULE}, e.g. support.answer`,
    );
  }
  if (request.variants.length === 0) {
    throw new InvalidArgumentError('variants', 'at least one variant is required');
  }
  const firstIndexOf = new Map<string, number>();
  const variants = request.variants.map((variant, i) => {
    const field = `variants[${i}]`;
    if (!NAME.test(variant.variantName)) {
      throw new InvalidArgumentError(
        `${field}.variant_name`,
        `'${variant.variantName}' ${NAME_RULE}`,
      );
    }
    const earlier = firstIndexOf.get(variant.variantName);
    if (earlier !== undefined) {
      throw new InvalidArgumentError(
        `${field}.variant_name`,
        `'${variant.variantName}' is already the name of variants[${earlier}]`,
      );
    }
    firstIndexOf.set(variant.variantName, i);
    if (variant.modelChain.length === 0) {
      throw new InvalidArgumentError(`${field}.model_chain`, 'at least one model is required');
    }
    variant.modelChain.forEach((model, j) => {
      if (!findModel(catalog, model)) {
        throw new InvalidArgumentError(
          `${field}.model_chain[${j}]`,
          `'${model}' is not in the catalog (version ${catalog.version})`,
        );
      }
    });
    if (variant.defaultMaxTokens < 0) {
      throw new InvalidArgumentError(`${field}.default_max_tokens`, 'must be 0 or more');
    }
    return {
      variantName: variant.variantName,
      modelChain: [...variant.modelChain],
      defaultMaxTokens: variant.defaultMaxTokens,
    };
  });

  const fixed = request.policy?.fixed ?? { variantName: variants[0].variantName };
  if (!firstIndexOf.has(fixed.variantName)) {
    throw new InvalidArgumentError(
      'policy.fixed.variant_name',
      `'${fixed.variantName}' is not one of this function's variants`,
    );
  }
  return {
    functionName: request.functionName,
    variants,
    policy: { fixed: { variantName: fixed.variantName } },
    guardrails: validateGuardrails(request.guardrails, 'guardrails'),
    rateLimit: validateRateLimit(request.rateLimit, 'rate_limit'),
    cache: validateCachePolicy(request.cache, 'cache'),
    evaluators: validateEvaluators(request.evaluators ?? [], 'evaluators'),
    serviceLevel: validateServiceLevel(request.serviceLevel, 'service_level'),
    retrieval: validateRetrieval(request.retrieval, 'retrieval'),
    semanticCache: validateSemanticCache(request.semanticCache, 'semantic_cache'),
  };
}

/**
 * Refuses (FAILED_PRECONDITION) a definition whose chains name a model whose provider is not
 * configured: found now, when the function is written, rather than at request time.
 */
export function requireServedModels(
  definition: FunctionDefinition,
  catalog: router.ModelCatalog,
  configuredProviders: ReadonlySet<string>,
): void {
  definition.variants.forEach((variant, i) =>
    variant.modelChain.forEach((name, j) => {
      const model = findModel(catalog, name);
      if (model) requireProvider(model, configuredProviders, `variants[${i}].model_chain[${j}]`);
    }),
  );
}
