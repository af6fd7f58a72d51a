// Checks a catalog model written by the operator, and builds the catalog that holds it.
import { isKnownEncoding, isModelCapability, MODEL_CAPABILITIES } from '@keel/catalog';
import { router } from '@keel/contracts';
import { FailedPreconditionError, InvalidArgumentError } from '@keel/errors';
import { SIM_PROVIDER } from './provider';

/** Model names: lowercase, digits and `._-`, up to 64 characters (`gpt-4o-mini`, `gpt-4.1`). */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_PROVIDER_MODEL = 256;
const TIERS = new Set([
  router.ModelTier.MODEL_TIER_SMALL,
  router.ModelTier.MODEL_TIER_MEDIUM,
  router.ModelTier.MODEL_TIER_LARGE,
]);

/**
 * The model to store, or InvalidArgumentError naming the first field at fault. Whether its
 * provider is configured is checked apart (`requireProvider`): that is the deployment's state,
 * not the request's.
 */
export function validateModel(model: router.Model | undefined): router.Model {
  if (!model) throw new InvalidArgumentError('model', 'a model is required');
  if (!NAME.test(model.name)) {
    throw new InvalidArgumentError(
      'model.name',
      `'${model.name}' must match ${NAME.source}, e.g. gpt-4o-mini`,
    );
  }
  if (model.provider === '') {
    throw new InvalidArgumentError(
      'model.provider',
      'the name of a configured provider is required',
    );
  }
  if (model.providerModel === '' || model.providerModel.length > MAX_PROVIDER_MODEL) {
    throw new InvalidArgumentError(
      'model.provider_model',
      `the provider's name for the model is required, at most ${MAX_PROVIDER_MODEL} characters`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(model.providerModel)) {
    throw new InvalidArgumentError('model.provider_model', 'may not hold control characters');
  }
  if (!TIERS.has(model.tier)) {
    throw new InvalidArgumentError(
      'model.tier',
      `${router.modelTierToJSON(model.tier)} (${model.tier}) is not a tier; ` +
        'use MODEL_TIER_SMALL, MODEL_TIER_MEDIUM or MODEL_TIER_LARGE',
    );
  }
  if (model.contextWindow <= 0n) {
    throw new InvalidArgumentError('model.context_window', 'must be more than 0 tokens');
  }
  if (model.maxOutputTokens <= 0n) {
    throw new InvalidArgumentError('model.max_output_tokens', 'must be more than 0 tokens');
  }
  if (model.maxOutputTokens > model.contextWindow) {
    throw new InvalidArgumentError(
      'model.max_output_tokens',
      `${model.maxOutputTokens} is more than the context window (${model.contextWindow})`,
    );
  }
  // No price is allowed: the model is unpriced, and its calls are marked so in the ledger.
  const prices: [string, bigint | undefined][] = [
    ['input_nano_usd_per_mtok', model.price?.inputNanoUsdPerMtok],
    ['output_nano_usd_per_mtok', model.price?.outputNanoUsdPerMtok],
    ['cached_input_nano_usd_per_mtok', model.price?.cachedInputNanoUsdPerMtok],
    ['cache_write_nano_usd_per_mtok', model.price?.cacheWriteNanoUsdPerMtok],
    ['reasoning_nano_usd_per_mtok', model.price?.reasoningNanoUsdPerMtok],
  ];
  for (const [field, price] of prices) {
    if (price !== undefined && price < 0n) {
      throw new InvalidArgumentError(`model.price.${field}`, 'must be 0 or more');
    }
  }
  if (model.tokenizer !== '' && !isKnownEncoding(model.tokenizer)) {
    throw new InvalidArgumentError(
      'model.tokenizer',
      `'${model.tokenizer}' is not a known tokenizer; use o200k_base, cl100k_base or '' (counts estimated)`,
    );
  }
  model.capabilities.forEach((capability, i) => {
    if (!isModelCapability(capability)) {
      throw new InvalidArgumentError(
        `model.capabilities[${i}]`,
        `'${capability}' is not a capability; use ${MODEL_CAPABILITIES.join(', ')}`,
      );
    }
  });
  return router.Model.fromPartial({
    ...model,
    price: model.price && { ...model.price },
    capabilities: [...new Set(model.capabilities)],
  });
}

/**
 * When a model change takes effect: `requested`, or `now` when unset. A time before `now` is
 * refused: requests already routed and billed by the catalog then would be rewritten.
 */
export function effectiveTimeOf(requested: Date | undefined, now: Date): Date {
  if (requested === undefined) return now;
  if (Number.isNaN(requested.getTime())) {
    throw new InvalidArgumentError('effective_at', 'is not a time a date can hold');
  }
  if (requested < now) {
    throw new InvalidArgumentError(
      'effective_at',
      `${requested.toISOString()} is in the past (now ${now.toISOString()}); leave it unset ` +
        'for now, or name a later time: history is not rewritten',
    );
  }
  return requested;
}

/** Refuses a model whose provider is neither sim nor configured, naming both. */
export function requireProvider(
  model: { name: string; provider: string },
  configured: ReadonlySet<string>,
  field: string,
): void {
  if (model.provider === SIM_PROVIDER || configured.has(model.provider)) return;
  throw new FailedPreconditionError(
    `${field}: model '${model.name}' is served by provider '${model.provider}', which is not ` +
      `configured; add it first with PutProvider (keel provider put ${model.provider} …)`,
  );
}

/**
 * `base` with `models` added, each replacing a model of the same name; the models stored by the
 * operator follow the built-in ones, by name.
 */
export function catalogWithModels(
  base: router.ModelCatalog,
  models: readonly router.Model[],
): router.ModelCatalog {
  const byName = new Map(base.models.map((model) => [model.name, model]));
  for (const model of [...models].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    byName.set(model.name, model);
  }
  return { ...base, models: [...byName.values()] };
}
