import type { router } from '@keel/contracts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@keel/errors';
import { actingTenant, type Principal } from '@keel/kit';
import type { RouterDeps } from '../deps';

/**
 * Makes a variant the one the function's fixed policy runs, and publishes the policy. Refused
 * when the variant's latest experiment failed its gate, unless forced.
 */
export async function promoteVariantRpc(
  deps: RouterDeps,
  principal: Principal,
  request: router.PromoteVariantRequest,
): Promise<router.PromoteVariantResponse> {
  const tenantId = actingTenant(principal, request.tenantId);
  if (request.functionName === '') {
    throw new InvalidArgumentError('function_name', 'must not be empty');
  }
  if (request.variantName === '') {
    throw new InvalidArgumentError('variant_name', 'must not be empty');
  }
  const fn = await deps.store.functions.get(tenantId, request.functionName);
  if (!fn) throw new NotFoundError(`function '${request.functionName}' does not exist`);
  const known = fn.variants.map((variant) => variant.variantName);
  if (!known.includes(request.variantName)) {
    throw new InvalidArgumentError(
      'variant_name',
      `'${request.variantName}' is not a variant of function '${request.functionName}' ` +
        `(its variants: ${known.map((name) => `'${name}'`).join(', ')})`,
    );
  }
  const gate = await deps.store.variantGates.latest(
    tenantId,
    request.functionName,
    request.variantName,
  );
  if (gate && !gate.passed && !request.force) {
    throw new FailedPreconditionError(
      `variant '${request.variantName}' of function '${request.functionName}' failed the gate ` +
        `of its latest experiment '${gate.experimentId}': ${gate.failures.join('; ')}. ` +
        'Run a passing experiment, or promote with force',
    );
  }
  const promoted = await deps.store.functions.fixVariant(
    tenantId,
    request.functionName,
    request.variantName,
    new Date(),
  );
  if (!promoted) throw new NotFoundError(`function '${request.functionName}' does not exist`);
  return {
    function: promoted,
    gate: gate ?? undefined,
    policyVersion: await deps.publisher.publishPolicy(),
  };
}
