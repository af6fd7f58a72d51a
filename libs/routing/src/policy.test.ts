import { router } from '@keel/contracts';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  type KeelError,
} from '@keel/errors';
import { catalogWithProviderModels } from '@keel/testing';
import { Policy, type RouteRequest } from './index';

interface FunctionSpec {
  variants?: { variantName: string; modelChain: string[]; defaultMaxTokens?: number }[];
  /** null: no policy set. */
  policy?: router.RoutingPolicy | null;
}

// A function with one variant 'default' and a fixed policy naming it, unless told otherwise.
function fn(tenantId: string, functionName: string, spec: FunctionSpec = {}) {
  const {
    variants = [
      { variantName: 'default', modelChain: ['sim-small', 'gpt-4o-mini'], defaultMaxTokens: 256 },
    ],
    policy = { fixed: { variantName: 'default' } },
  } = spec;
  return router.KeelFunction.fromPartial({
    tenantId,
    functionName,
    variants,
    policy: policy ?? undefined,
  });
}

const snapshot = router.PolicySnapshot.fromPartial({
  catalog: catalogWithProviderModels(1n),
  tenants: [
    {
      tenantId: 'acme',
      defaultFunctionName: 'support.answer',
      functions: [
        fn('acme', 'support.answer'),
        fn('acme', 'search.rerank', {
          variants: [
            { variantName: 'cheap', modelChain: ['gpt-4o-mini'] },
            { variantName: 'strong', modelChain: ['gpt-4o', 'claude-sonnet-4'] },
          ],
          policy: { fixed: { variantName: 'strong' } },
        }),
        fn('acme', 'draft.reply', {
          variants: [
            { variantName: 'first', modelChain: ['sim-large'] },
            { variantName: 'second', modelChain: ['sim-small'] },
          ],
          policy: null,
        }),
        fn('acme', 'empty.policy', {
          variants: [{ variantName: 'only', modelChain: ['sim-small'] }],
          policy: {},
        }),
        fn('acme', 'broken.fixed', { policy: { fixed: { variantName: 'gone' } } }),
        fn('acme', 'no.variants', { variants: [], policy: null }),
        fn('acme', 'unknown.model', {
          variants: [{ variantName: 'default', modelChain: ['sim-small', 'gpt-9', 'gpt-10'] }],
        }),
        fn('acme', 'empty.chain', { variants: [{ variantName: 'default', modelChain: [] }] }),
        fn('acme', 'summarize', {
          variants: [{ variantName: 'acme-only', modelChain: ['gpt-4o-mini'] }],
          policy: null,
        }),
      ],
    },
    {
      tenantId: 'globex',
      defaultFunctionName: '',
      functions: [
        fn('globex', 'billing.summary', {
          variants: [{ variantName: 'default', modelChain: ['gpt-4.1'] }],
        }),
        fn('globex', 'summarize', {
          variants: [{ variantName: 'globex-only', modelChain: ['claude-sonnet-4'] }],
          policy: null,
        }),
      ],
    },
    { tenantId: 'initech', defaultFunctionName: 'missing', functions: [] },
  ],
});

const policy = Policy.from(snapshot, 7n);

function decide(request: Partial<RouteRequest>) {
  return policy.decide({ tenantId: 'acme', functionName: '', model: '', ...request });
}

function failure(run: () => unknown): KeelError {
  try {
    run();
  } catch (error) {
    return error as KeelError;
  }
  throw new Error('expected a throw');
}

describe('Policy.from', () => {
  it('keeps the version and catalog and looks models up by name', () => {
    expect(policy.version).toBe(7n);
    expect(policy.catalog.version).toBe(1n);
    expect(policy.model('gpt-4o')?.provider).toBe('openai');
    expect(policy.model('gpt-9')).toBeNull();
  });

  it("hands out a tenant's own function and settings, never another tenant's", () => {
    const withSettings = Policy.from(
      router.PolicySnapshot.fromPartial({
        ...snapshot,
        tenants: snapshot.tenants.map((tenant) =>
          tenant.tenantId === 'globex'
            ? { ...tenant, settings: { guardrails: { fallback: { text: 'Sorry.' } } } }
            : tenant,
        ),
      }),
      8n,
    );
    expect(withSettings.function('acme', 'summarize')?.variants[0].variantName).toBe('acme-only');
    expect(withSettings.function('globex', 'summarize')?.variants[0].variantName).toBe(
      'globex-only',
    );
    expect(withSettings.function('acme', 'billing.summary')).toBeNull();
    expect(withSettings.tenantSettings('globex')?.guardrails?.fallback?.text).toBe('Sorry.');
    expect(withSettings.tenantSettings('acme')).toBeNull();
    expect(withSettings.tenantSettings('nobody')).toBeNull();
  });

  it('refuses a snapshot without a catalog', () => {
    const error = failure(() => Policy.from(router.PolicySnapshot.fromPartial({}), 3n));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.message).toBe('policy snapshot 3 has no model catalog');
  });

  it('refuses a function filed under a tenant that does not own it', () => {
    const leaky = router.PolicySnapshot.fromPartial({
      catalog: catalogWithProviderModels(1n),
      tenants: [{ tenantId: 'acme', functions: [fn('globex', 'billing.summary')] }],
    });
    const error = failure(() => Policy.from(leaky, 4n));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.message).toMatch(/function 'billing.summary' of tenant 'globex'.*'acme'/);
  });
});

describe('Policy.decide', () => {
  it('runs the fixed policy variant and explains it', () => {
    expect(decide({ functionName: 'support.answer' })).toEqual({
      functionName: 'support.answer',
      variantName: 'default',
      modelChain: ['sim-small', 'gpt-4o-mini'],
      policyVersion: 7n,
      catalogVersion: 1n,
      explanation:
        "function 'support.answer' uses the fixed policy → variant 'default' → " +
        'models sim-small, gpt-4o-mini (policy snapshot 7, catalog 1)',
      defaultMaxTokens: 256,
    });
  });

  it('runs the variant the fixed policy names, not the first', () => {
    const decision = decide({ functionName: 'search.rerank' });
    expect(decision.variantName).toBe('strong');
    expect(decision.modelChain).toEqual(['gpt-4o', 'claude-sonnet-4']);
  });

  it("runs the tenant's default function when no function is named", () => {
    const decision = decide({ functionName: '' });
    expect(decision.functionName).toBe('support.answer');
    expect(decision.variantName).toBe('default');
    expect(decision.explanation).toMatch(/^function 'support.answer' \(the tenant's default\)/);
  });

  it('fails with NotFound when no function is named and the tenant has no default', () => {
    const error = failure(() => decide({ tenantId: 'globex', functionName: '' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toMatch(/function_name is empty and the tenant has no default/);
  });

  it('fails with NotFound when the default function does not exist', () => {
    const error = failure(() => decide({ tenantId: 'initech', functionName: '' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe("function 'missing' does not exist");
  });

  it('fails with NotFound for an unknown tenant', () => {
    const error = failure(() => decide({ tenantId: 'nobody', functionName: 'support.answer' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toMatch(/^tenant has no functions in policy snapshot 7/);
  });

  it('fails with NotFound for an unknown function', () => {
    const error = failure(() => decide({ functionName: 'nope' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe("function 'nope' does not exist");
  });

  it('keeps tenants apart: one never routes to a function of another', () => {
    expect(decide({ tenantId: 'globex', functionName: 'billing.summary' }).modelChain).toEqual([
      'gpt-4.1',
    ]);
    const error = failure(() => decide({ tenantId: 'acme', functionName: 'billing.summary' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe("function 'billing.summary' does not exist");
    const reverse = failure(() => decide({ tenantId: 'globex', functionName: 'support.answer' }));
    expect(reverse).toBeInstanceOf(NotFoundError);
    // The same function name in two tenants is two functions.
    expect(decide({ tenantId: 'acme', functionName: 'summarize' })).toMatchObject({
      variantName: 'acme-only',
      modelChain: ['gpt-4o-mini'],
    });
    expect(decide({ tenantId: 'globex', functionName: 'summarize' })).toMatchObject({
      variantName: 'globex-only',
      modelChain: ['claude-sonnet-4'],
    });
  });

  it('fails with FailedPrecondition when the fixed policy names a missing variant', () => {
    const error = failure(() => decide({ functionName: 'broken.fixed' }));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.message).toMatch(/fixed policy naming variant 'gone', which does not exist/);
  });

  it('runs the first variant when no policy is set', () => {
    const decision = decide({ functionName: 'draft.reply' });
    expect(decision.variantName).toBe('first');
    expect(decision.modelChain).toEqual(['sim-large']);
    expect(decision.explanation).toBe(
      "function 'draft.reply' has no policy and runs its first variant → variant 'first' → " +
        'models sim-large (policy snapshot 7, catalog 1)',
    );
    expect(decide({ functionName: 'empty.policy' }).variantName).toBe('only');
  });

  it('fails with FailedPrecondition when a function has no variants', () => {
    const error = failure(() => decide({ functionName: 'no.variants' }));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.message).toBe("function 'no.variants' has no variants");
  });

  it('pins a requested model, keeping the decided variant', () => {
    const decision = decide({ functionName: 'search.rerank', model: 'claude-3-5-haiku' });
    expect(decision).toMatchObject({
      functionName: 'search.rerank',
      variantName: 'strong',
      modelChain: ['claude-3-5-haiku'],
    });
    expect(decision.explanation).toBe(
      "function 'search.rerank' uses the fixed policy → variant 'strong' → " +
        'model claude-3-5-haiku, pinned by the request (policy snapshot 7, catalog 1)',
    );
  });

  it('runs a pinned variant instead of the one the policy picks', () => {
    const decision = decide({ functionName: 'search.rerank', variantName: 'cheap' });
    expect(decision).toMatchObject({ variantName: 'cheap', modelChain: ['gpt-4o-mini'] });
    expect(decision.explanation).toBe(
      "function 'search.rerank' runs the variant pinned by the request → variant 'cheap' → " +
        'models gpt-4o-mini (policy snapshot 7, catalog 1)',
    );
  });

  it('with both pinned, runs the pinned variant on the pinned model', () => {
    const decision = decide({
      functionName: 'search.rerank',
      variantName: 'cheap',
      model: 'claude-3-5-haiku',
    });
    expect(decision).toMatchObject({ variantName: 'cheap', modelChain: ['claude-3-5-haiku'] });
  });

  it("fails with InvalidArgument naming variant_name and the function's variants", () => {
    const error = failure(() => decide({ functionName: 'search.rerank', variantName: 'gone' }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe('variant_name');
    expect(error.message).toBe(
      "variant_name: 'gone' is not a variant of function 'search.rerank' " +
        "(its variants: 'cheap', 'strong')",
    );
  });

  it('fails with InvalidArgument when the pinned model is not in the catalog', () => {
    const error = failure(() => decide({ functionName: 'support.answer', model: 'gpt-9' }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).field).toBe('model');
    expect(error.message).toBe("model: 'gpt-9' is not in the catalog (version 1)");
  });

  it('fails with FailedPrecondition when a chain names models outside the catalog', () => {
    const error = failure(() => decide({ functionName: 'unknown.model' }));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.message).toBe(
      "variant 'default' of function 'unknown.model' names 'gpt-9', 'gpt-10', " +
        'not in the catalog (version 1)',
    );
    // A pinned model replaces the chain, so the request can still be served.
    expect(decide({ functionName: 'unknown.model', model: 'sim-small' }).modelChain).toEqual([
      'sim-small',
    ]);
  });

  it('fails with FailedPrecondition when a variant has an empty chain', () => {
    const error = failure(() => decide({ functionName: 'empty.chain' }));
    expect(error).toBeInstanceOf(FailedPreconditionError);
    expect(error.message).toBe("variant 'default' of function 'empty.chain' has no models");
  });

  it('hands out a chain the caller may change without touching the snapshot', () => {
    decide({ functionName: 'support.answer' }).modelChain.push('gpt-4o');
    expect(decide({ functionName: 'support.answer' }).modelChain).toEqual([
      'sim-small',
      'gpt-4o-mini',
    ]);
  });

  it('round-trips the decision over the wire', () => {
    const decision = decide({ functionName: 'support.answer' });
    const bytes = router.RouteDecision.encode(decision).finish();
    expect(router.RouteDecision.decode(bytes)).toEqual(decision);
  });
});

describe('Policy with scheduled catalogs', () => {
  const publishedAt = new Date('2030-01-01T00:00:00Z');
  const repricedAt = new Date('2030-01-02T00:00:00Z');
  const current = { ...catalogWithProviderModels(1n), effectiveAt: publishedAt };
  // Version 2 reprices gpt-4o-mini and drops gpt-4o from the next day on.
  const repriced = {
    ...current,
    version: 2n,
    effectiveAt: repricedAt,
    models: current.models
      .filter((model) => model.name !== 'gpt-4o')
      .map((model) =>
        model.name === 'gpt-4o-mini'
          ? { ...model, price: { ...model.price!, inputNanoUsdPerMtok: 1n } }
          : model,
      ),
  };
  const scheduled = Policy.from(
    { ...snapshot, catalog: current, scheduledCatalogs: [repriced] },
    8n,
  );
  const justBefore = new Date(repricedAt.getTime() - 1);
  const decideAt = (at: Date, request: Partial<RouteRequest> = {}) =>
    scheduled.decide({
      tenantId: 'acme',
      functionName: 'support.answer',
      model: '',
      at,
      ...request,
    });

  it('decides with the catalog in effect when the request started', () => {
    expect(decideAt(justBefore).catalogVersion).toBe(1n);
    expect(decideAt(repricedAt).catalogVersion).toBe(2n);
    expect(decideAt(repricedAt).explanation).toContain('catalog 2');
    // Clocks disagree: a time before the snapshot's catalog still uses that catalog.
    expect(decideAt(new Date('2029-01-01T00:00:00Z')).catalogVersion).toBe(1n);
  });

  it('looks models up in the catalog in effect at the time asked', () => {
    expect(scheduled.model('gpt-4o-mini', justBefore)?.price?.inputNanoUsdPerMtok).not.toBe(1n);
    expect(scheduled.model('gpt-4o-mini', repricedAt)?.price?.inputNanoUsdPerMtok).toBe(1n);
    expect(scheduled.model('gpt-4o', justBefore)).not.toBeNull();
    expect(scheduled.model('gpt-4o', repricedAt)).toBeNull();
    expect(scheduled.catalog.version).toBe(1n);
  });

  it('checks the chain and a pinned model against the catalog in effect', () => {
    const rerank = { functionName: 'search.rerank' };
    expect(decideAt(justBefore, rerank).modelChain).toEqual(['gpt-4o', 'claude-sonnet-4']);
    expect(failure(() => decideAt(repricedAt, rerank))).toBeInstanceOf(FailedPreconditionError);
    expect(decideAt(justBefore, { model: 'gpt-4o' }).modelChain).toEqual(['gpt-4o']);
    expect(failure(() => decideAt(repricedAt, { model: 'gpt-4o' })).message).toContain(
      'not in the catalog (version 2)',
    );
  });
});
