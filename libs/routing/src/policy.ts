import { catalogInEffect } from '@keel/catalog';
import { router } from '@keel/contracts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@keel/errors';

/** What a request asks of routing. */
export interface RouteRequest {
  tenantId: string;
  /** '' runs the tenant's default function. */
  functionName: string;
  /** '' lets the variant's chain decide; a catalog name pins that one model. */
  model: string;
  /** When the request started: it runs on the catalog in effect then. Absent: now. */
  at?: Date;
  /**
   * '' (or absent) lets the function's policy pick the variant; a name runs that variant of the
   * function. With `model` also set, the variant is this one and the model replaces its chain.
   */
  variantName?: string;
}

interface TenantIndex {
  defaultFunctionName: string;
  functions: Map<string, FunctionIndex>;
  settings: router.TenantSettings | undefined;
  budgets: router.Budget[];
}

/** A catalog version with its models by name. */
interface CatalogIndex {
  catalog: router.ModelCatalog;
  models: Map<string, router.Model>;
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
    /** The catalog in effect when the snapshot was published. */
    readonly catalog: router.ModelCatalog,
    private readonly tenants: Map<string, TenantIndex>,
    /** That catalog and the ones scheduled after it. */
    private readonly catalogs: CatalogIndex[],
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
        budgets: tenant.budgets,
      });
    }
    const catalogs = [catalog, ...snapshot.scheduledCatalogs].map((each) => ({
      catalog: each,
      models: new Map(each.models.map((model) => [model.name, model])),
    }));
    return new Policy(version, catalog, tenants, catalogs);
  }

  /** A tenant's function as the snapshot holds it (its guardrails, limits, cache), or null. */
  function(tenantId: string, functionName: string): router.KeelFunction | null {
    return this.tenants.get(tenantId)?.functions.get(functionName)?.fn ?? null;
  }

  /** A tenant's budgets, tenant-wide and its functions'; none for an unknown tenant. */
  budgets(tenantId: string): readonly router.Budget[] {
    return this.tenants.get(tenantId)?.budgets ?? [];
  }

  /** What a tenant set for all its functions, or null when it set nothing. */
  tenantSettings(tenantId: string): router.TenantSettings | null {
    return this.tenants.get(tenantId)?.settings ?? null;
  }

  /** The model of that name in the catalog in effect at `at` (now by default), or null. */
  model(name: string, at: Date = new Date()): router.Model | null {
    return this.indexAt(at).models.get(name) ?? null;
  }

  /**
   * The catalog in effect at `at`: the latest scheduled one whose time has come, else the
   * snapshot's own (also for a time before it, as when this host's clock runs behind).
   */
  private indexAt(at: Date): CatalogIndex {
    // Nothing scheduled, as almost always: no search on the request path.
    if (this.catalogs.length === 1) return this.catalogs[0];
    const catalog = catalogInEffect(
      this.catalogs.map((index) => index.catalog),
      at,
    );
    return this.catalogs.find((index) => index.catalog === catalog) ?? this.catalogs[0];
  }

  /**
   * Which variant and model chain serve `request`, and why. Throws NotFoundError for an
   * unknown tenant or function, InvalidArgumentError for a pinned model outside the catalog or
   * a pinned variant the function does not have, and FailedPreconditionError when the
   * function's own configuration cannot be served.
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
    const catalog = this.indexAt(request.at ?? new Date());

    const { variant, how } = request.variantName
      ? this.pinnedVariant(fn, request.variantName)
      : this.pickVariant(fn);
    const subject = byDefault
      ? `function '${functionName}' (the tenant's default)`
      : `function '${functionName}'`;
    const versions = `(policy snapshot ${this.version}, catalog ${catalog.catalog.version})`;

    if (request.model !== '') {
      if (!catalog.models.has(request.model)) {
        throw new InvalidArgumentError(
          'model',
          `'${request.model}' is not in the catalog (version ${catalog.catalog.version})`,
        );
      }
      return this.decision(
        catalog.catalog,
        functionName,
        variant,
        [request.model],
        `${subject} ${how} → variant '${variant.variantName}' → model ${request.model}, ` +
          `pinned by the request ${versions}`,
      );
    }

    this.checkChain(catalog, functionName, variant);
    return this.decision(
      catalog.catalog,
      functionName,
      variant,
      variant.modelChain,
      `${subject} ${how} → variant '${variant.variantName}' → ` +
        `models ${variant.modelChain.join(', ')} ${versions}`,
    );
  }

  private pinnedVariant(
    fn: FunctionIndex,
    variantName: string,
  ): { variant: router.Variant; how: string } {
    const variant = fn.variants.get(variantName);
    if (!variant) {
      const known = [...fn.variants.keys()].map((name) => `'${name}'`).join(', ');
      throw new InvalidArgumentError(
        'variant_name',
        `'${variantName}' is not a variant of function '${fn.fn.functionName}' ` +
          `(its variants: ${known || 'none'})`,
      );
    }
    return { variant, how: 'runs the variant pinned by the request' };
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

  private checkChain(catalog: CatalogIndex, functionName: string, variant: router.Variant): void {
    if (variant.modelChain.length === 0) {
      throw new FailedPreconditionError(
        `variant '${variant.variantName}' of function '${functionName}' has no models`,
      );
    }
    const missing = variant.modelChain.filter((name) => !catalog.models.has(name));
    if (missing.length > 0) {
      throw new FailedPreconditionError(
        `variant '${variant.variantName}' of function '${functionName}' names ` +
          `${missing.map((name) => `'${name}'`).join(', ')}, not in the catalog ` +
          `(version ${catalog.catalog.version})`,
      );
    }
  }

  private decision(
    catalog: router.ModelCatalog,
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
      catalogVersion: catalog.version,
      explanation,
      defaultMaxTokens: variant.defaultMaxTokens,
    };
  }
}
