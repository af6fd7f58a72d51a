// Checks a function's or a tenant's guardrails. Each part is optional and an unset part stays
// unset: "no limits configured" and "limits of 0" are different answers to inference.
import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

const { SafetyAction, PiiType, SafetyCategory } = router;

export const MAX_FALLBACK_CHARACTERS = 4_000;

/** The guardrails to store, or InvalidArgumentError naming the first field at fault. */
export function validateGuardrails(
  guardrails: router.Guardrails | undefined,
  field: string,
): router.Guardrails | undefined {
  if (!guardrails) return undefined;
  return {
    limits: validateLimits(guardrails.limits, `${field}.limits`),
    pii: validatePii(guardrails.pii, `${field}.pii`),
    contentSafety: validateContentSafety(guardrails.contentSafety, `${field}.content_safety`),
    fallback: validateFallback(guardrails.fallback, `${field}.fallback`),
  };
}

function validateLimits(
  limits: router.GuardrailLimits | undefined,
  field: string,
): router.GuardrailLimits | undefined {
  if (!limits) return undefined;
  nonNegative(limits.maxInputTokens, `${field}.max_input_tokens`);
  nonNegative(limits.maxMessages, `${field}.max_messages`);
  nonNegative(limits.maxOutputTokens, `${field}.max_output_tokens`);
  return {
    maxInputTokens: limits.maxInputTokens,
    maxMessages: limits.maxMessages,
    maxOutputTokens: limits.maxOutputTokens,
  };
}

function validatePii(
  pii: router.PiiRedaction | undefined,
  field: string,
): router.PiiRedaction | undefined {
  if (!pii) return undefined;
  return {
    types: knownValues(pii.types, `${field}.types`, PiiType, router.piiTypeToJSON),
    redactUpstream: pii.redactUpstream,
  };
}

function validateContentSafety(
  safety: router.ContentSafety | undefined,
  field: string,
): router.ContentSafety | undefined {
  if (!safety) return undefined;
  return {
    inputAction: knownAction(safety.inputAction, `${field}.input_action`),
    outputAction: knownAction(safety.outputAction, `${field}.output_action`),
    categories: knownValues(
      safety.categories,
      `${field}.categories`,
      SafetyCategory,
      router.safetyCategoryToJSON,
    ),
  };
}

/** UNSPECIFIED is allowed here: it means that side is not checked. */
function knownAction(action: router.SafetyAction, field: string): router.SafetyAction {
  if (
    action !== SafetyAction.SAFETY_ACTION_UNSPECIFIED &&
    action !== SafetyAction.SAFETY_ACTION_FLAG &&
    action !== SafetyAction.SAFETY_ACTION_BLOCK
  ) {
    throw new InvalidArgumentError(
      field,
      `${action} is not a safety action; use SAFETY_ACTION_FLAG or SAFETY_ACTION_BLOCK`,
    );
  }
  return action;
}

function validateFallback(
  fallback: router.FallbackAnswer | undefined,
  field: string,
): router.FallbackAnswer | undefined {
  if (!fallback) return undefined;
  const textField = `${field}.text`;
  if (fallback.text.trim() === '') {
    throw new InvalidArgumentError(textField, 'a fallback answer needs text');
  }
  const characters = [...fallback.text].length;
  if (characters > MAX_FALLBACK_CHARACTERS) {
    throw new InvalidArgumentError(
      textField,
      `${characters} characters; at most ${MAX_FALLBACK_CHARACTERS}`,
    );
  }
  if (fallback.text.includes('\0')) {
    throw new InvalidArgumentError(textField, 'may not hold NUL characters');
  }
  return { text: fallback.text };
}

/** Refuses a negative count, naming the field. */
export function nonNegative(value: number | bigint, field: string): void {
  if (value < 0) throw new InvalidArgumentError(field, `${value} is negative; must be 0 or more`);
}

/**
 * The values in request order without repeats; UNSPECIFIED and values this version does not
 * know are refused, naming the entry at fault (`field[i]`).
 */
function knownValues<E extends number>(
  values: readonly E[],
  field: string,
  enumeration: Record<string, string | number>,
  toJSON: (value: E) => string,
): E[] {
  const known = Object.entries(enumeration)
    .filter(([name, value]) => typeof value === 'number' && value > 0 && name !== 'UNRECOGNIZED')
    .map(([name]) => name);
  values.forEach((value, i) => {
    const name = toJSON(value);
    if (!known.includes(name)) {
      throw new InvalidArgumentError(
        `${field}[${i}]`,
        `${name === 'UNRECOGNIZED' ? value : `${name} (${value})`} is not allowed; use ${known.join(', ')}`,
      );
    }
  });
  return [...new Set(values)];
}
