import { router } from '@keel/contracts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@keel/errors';

/** What a request asks of routing. */
export interface RouteRequest {
  tenantId: string;
  /** '' runs the tenant's default function. */
  functionName: string;
  /** '' lets the variant's chain decide; a catalog name pins that one model. */
  model: string;
}

interface TenantIndex {
  defaultFunctionName: string;
  functions: Map<string, FunctionIndex>;
  settings: router.TenantSettings | undefined;
}

interface FunctionIndex {
  fn: router.KeelFunction;
  variants: Map<string, router.Variant>;
}

/**
 * A policy snapshot ready to route: tenants, functions, variants and models indexed once, so
 * deciding a request is a few map lookups. The router and inference both decide with it, so
 * they always agree.
 */
export class Policy {
  private constructor(
    readonly version: bigint,
    readonly catalog: router.ModelCatalog,
    private readonly tenants: Map<string, TenantIndex>,
    private readonly models: Map<string, router.Model>,
  ) {}

  /**
   * Indexes `snapshot`, published as policy `version` (its KV revision). Fails when the
   * snapshot has no catalog or lists a function under a tenant that does not own it.
   */
  static from(snapshot: router.PolicySnapshot, version: bigint): Policy {
    const catalog = snapshot.catalog;
    if (!catalog) {
      throw new FailedPreconditionError(`policy snapshot ${version} has no model catalog`);
    }
    const tenants = new Map<string, TenantIndex>();
    for (const tenant of snapshot.tenants) {
      const functions = new Map<string, FunctionIndex>();
      for (const fn of tenant.functions) {
        // Tenants are walls: a function filed under the wrong tenant would leak across them.
        if (fn.tenantId !== tenant.tenantId) {
          throw new FailedPreconditionError(
            `policy snapshot ${version} lists function '${fn.functionName}' of tenant ` +
              `'${fn.tenantId}' under tenant '${tenant.tenantId}'`,
          );
        }
        const variants = new Map(fn.variants.map((variant) => [variant.variantName, variant]));
        functions.set(fn.functionName, { fn, variants });
      }
      tenants.set(tenant.tenantId, {
        defaultFunctionName: tenant.defaultFunctionName,
        functions,
        settings: tenant.settings,
      });
    }
    const models = new Map(catalog.models.map((model) => [model.name, model]));
    return new Policy(version, catalog, tenants, models);
  }

  /** A tenant's function as the snapshot holds it (its guardrails, limits, cache), or null. */
  function(tenantId: string, functionName: string): router.KeelFunction | null {
    return this.tenants.get(tenantId)?.functions.get(functionName)?.fn ?? null;
  }

  /** What a tenant set for all its functions, or null when it set nothing. */
  tenantSettings(tenantId: string): router.TenantSettings | null {
    return this.tenants.get(tenantId)?.settings ?? null;
  }

  /** The catalog's model of that name, or null. */
  model(name: string): router.Model | null {
    return this.models.get(name) ?? null;
  }

  /**
   * Which variant and model chain serve `request`, and why. Throws NotFoundError for an
   * unknown tenant or function, InvalidArgumentError for a pinned model outside the catalog,
   * and FailedPreconditionError when the function's own configuration cannot be served.
   */
  decide(request: RouteRequest): router.RouteDecision {
    const tenant = this.tenants.get(request.tenantId);
    if (!tenant) {
      throw new NotFoundError(
        `tenant has no functions in policy snapshot ${this.version} (tenant '${request.tenantId}')`,
      );
    }
    const byDefault = request.functionName === '';
    const functionName = byDefault ? tenant.defaultFunctionName : request.functionName;
    if (functionName === '') {
      throw new NotFoundError(
        'function_name is empty and the tenant has no default function to run instead',
      );
    }
    const fn = tenant.functions.get(functionName);
    if (!fn) throw new NotFoundError(`function '${functionName}' does not exist`);

    const { variant, how } = this.pickVariant(fn);
    const subject = byDefault
      ? `function '${functionName}' (the tenant's default)`
      : `function '${functionName}'`;
    const versions = `(policy snapshot ${this.version}, catalog ${this.catalog.version})`;

    if (request.model !== '') {
      if (!this.models.has(request.model)) {
        throw new InvalidArgumentError(
          'model',
          `'${request.model}' is not in the catalog (version ${this.catalog.version})`,
        );
      }
      return this.decision(
        functionName,
        variant,
        [request.model],
        `${subject} ${how} → variant '${variant.variantName}' → model ${request.model}, ` +
          `pinned by the request ${versions}`,
      );
    }

    this.checkChain(functionName, variant);
    return this.decision(
      functionName,
      variant,
      variant.modelChain,
      `${subject} ${how} → variant '${variant.variantName}' → ` +
        `models ${variant.modelChain.join(', ')} ${versions}`,
    );
  }

  private pickVariant(fn: FunctionIndex): { variant: router.Variant; how: string } {
    const fixed = fn.fn.policy?.fixed;
    if (fixed) {
      const variant = fn.variants.get(fixed.variantName);
      if (!variant) {
        throw new FailedPreconditionError(
          `function '${fn.fn.functionName}' has a fixed policy naming variant ` +
            `'${fixed.variantName}', which does not exist`,
        );
      }
      return { variant, how: 'uses the fixed policy' };
    }
    const first = fn.fn.variants[0];
    if (!first) {
      throw new FailedPreconditionError(`function '${fn.fn.functionName}' has no variants`);
    }
    return { variant: first, how: 'has no policy and runs its first variant' };
  }

  private checkChain(functionName: string, variant: router.Variant): void {
    if (variant.modelChain.length === 0) {
      throw new FailedPreconditionError(
        `variant '${variant.variantName}' of function '${functionName}' has no models`,
      );
    }
    const missing = variant.modelChain.filter((name) => !this.models.has(name));
    if (missing.length > 0) {
      throw new FailedPreconditionError(
        `variant '${variant.variantName}' of function '${functionName}' names ` +
          `${missing.map((name) => `'${name}'`).join(', ')}, not in the catalog ` +
          `(version ${this.catalog.version})`,
      );
    }
  }

  private decision(
    functionName: string,
    variant: router.Variant,
    modelChain: string[],
    explanation: string,
  ): router.RouteDecision {
    return {
      functionName,
      variantName: variant.variantName,
      modelChain: [...modelChain],
      policyVersion: this.version,
      catalogVersion: this.catalog.version,
      explanation,
      defaultMaxTokens: variant.defaultMaxTokens,
    };
  }
}
