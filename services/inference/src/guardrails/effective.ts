// Which guardrails a request runs under: each part the function sets replaces the same part of
// its tenant's defaults, so a tenant sets its policy once and a function overrides only what differs.
import type { router } from '@keel/contracts';

/** Every part is undefined when neither the function nor its tenant sets it: that part is off. */
export type EffectiveGuardrails = router.Guardrails;

export function effectiveGuardrails(
  fn: router.KeelFunction | null,
  settings: router.TenantSettings | null,
): EffectiveGuardrails {
  const own = fn?.guardrails;
  const tenant = settings?.guardrails;
  return {
    limits: own?.limits ?? tenant?.limits,
    pii: own?.pii ?? tenant?.pii,
    contentSafety: own?.contentSafety ?? tenant?.contentSafety,
    // A function that sets an empty fallback turns its tenant's off: an empty text is no answer.
    fallback: nonEmpty(own?.fallback ?? tenant?.fallback),
  };
}

/** True when no part is on: the request path skips every guardrail step. */
export function noGuardrails(guardrails: EffectiveGuardrails): boolean {
  return (
    guardrails.limits === undefined &&
    guardrails.pii === undefined &&
    guardrails.contentSafety === undefined &&
    guardrails.fallback === undefined
  );
}

function nonEmpty(fallback: router.FallbackAnswer | undefined): router.FallbackAnswer | undefined {
  return fallback && fallback.text !== '' ? fallback : undefined;
}
