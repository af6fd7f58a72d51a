import { router } from '@keel/contracts';
import { effectiveGuardrails, noGuardrails } from './effective';

const parts = router.Guardrails.fromPartial;
const fn = (guardrails?: router.Guardrails) =>
  router.KeelFunction.fromPartial({ functionName: 'support.answer', guardrails });
const tenant = (guardrails?: router.Guardrails) =>
  router.TenantSettings.fromPartial({ guardrails });

describe('effectiveGuardrails', () => {
  const tenantDefaults = tenant(
    parts({
      limits: { maxMessages: 10 },
      pii: { redactUpstream: true },
      contentSafety: { inputAction: router.SafetyAction.SAFETY_ACTION_FLAG },
      fallback: { text: 'The tenant is sorry.' },
    }),
  );

  it("takes each part the function sets and the tenant's for every other part", () => {
    const own = fn(
      parts({ limits: { maxMessages: 3 }, fallback: { text: 'The function is sorry.' } }),
    );
    const effective = effectiveGuardrails(own, tenantDefaults);
    expect(effective.limits?.maxMessages).toBe(3);
    expect(effective.fallback?.text).toBe('The function is sorry.');
    expect(effective.pii?.redactUpstream).toBe(true);
    expect(effective.contentSafety?.inputAction).toBe(router.SafetyAction.SAFETY_ACTION_FLAG);
  });

  it("replaces a whole part: the function's limits keep none of the tenant's bounds", () => {
    const effective = effectiveGuardrails(
      fn(parts({ limits: { maxOutputTokens: 100 } })),
      tenantDefaults,
    );
    expect(effective.limits).toMatchObject({ maxOutputTokens: 100, maxMessages: 0 });
  });

  it("turns the tenant's fallback off for a function that sets an empty one", () => {
    expect(
      effectiveGuardrails(fn(parts({ fallback: { text: '' } })), tenantDefaults).fallback,
    ).toBe(undefined);
  });

  it('is all off with neither function nor tenant guardrails', () => {
    expect(noGuardrails(effectiveGuardrails(fn(), null))).toBe(true);
    expect(noGuardrails(effectiveGuardrails(null, tenant()))).toBe(true);
    expect(noGuardrails(effectiveGuardrails(null, tenantDefaults))).toBe(false);
  });
});
