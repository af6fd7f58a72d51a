// The documents of guardrails, rate limits and cache policies, shared by functions and tenant
// settings. Enums are stored by name; an unset part is null (absent in documents written
// before the part existed), never a zero value.
import { router } from '@keel/contracts';

export interface GuardrailsDoc {
  limits: {
    max_input_tokens: bigint;
    max_messages: number;
    max_output_tokens: number;
  } | null;
  /** `types` by name (`PII_TYPE_EMAIL_ADDRESS`). */
  pii: { types: string[]; redact_upstream: boolean } | null;
  /** Actions and categories by name (`SAFETY_ACTION_BLOCK`, `SAFETY_CATEGORY_HATE`). */
  content_safety: { input_action: string; output_action: string; categories: string[] } | null;
  fallback: { text: string } | null;
}

export interface RateLimitDoc {
  requests_per_minute: bigint;
  tokens_per_minute: bigint;
}

export interface CachePolicyDoc {
  ttl_seconds: bigint;
  ttl_nanos: number;
}

export function guardrailsDoc(guardrails: router.Guardrails | undefined): GuardrailsDoc | null {
  if (!guardrails) return null;
  const { limits, pii, contentSafety, fallback } = guardrails;
  return {
    limits: limits
      ? {
          max_input_tokens: limits.maxInputTokens,
          max_messages: limits.maxMessages,
          max_output_tokens: limits.maxOutputTokens,
        }
      : null,
    pii: pii
      ? { types: pii.types.map(router.piiTypeToJSON), redact_upstream: pii.redactUpstream }
      : null,
    content_safety: contentSafety
      ? {
          input_action: router.safetyActionToJSON(contentSafety.inputAction),
          output_action: router.safetyActionToJSON(contentSafety.outputAction),
          categories: contentSafety.categories.map(router.safetyCategoryToJSON),
        }
      : null,
    fallback: fallback ? { text: fallback.text } : null,
  };
}

export function guardrailsOf(doc: GuardrailsDoc | null | undefined): router.Guardrails | undefined {
  if (!doc) return undefined;
  const { limits, pii, content_safety: safety, fallback } = doc;
  return {
    limits: limits
      ? {
          maxInputTokens: BigInt(limits.max_input_tokens),
          maxMessages: limits.max_messages,
          maxOutputTokens: limits.max_output_tokens,
        }
      : undefined,
    pii: pii
      ? { types: pii.types.map(router.piiTypeFromJSON), redactUpstream: pii.redact_upstream }
      : undefined,
    contentSafety: safety
      ? {
          inputAction: router.safetyActionFromJSON(safety.input_action),
          outputAction: router.safetyActionFromJSON(safety.output_action),
          categories: safety.categories.map(router.safetyCategoryFromJSON),
        }
      : undefined,
    fallback: fallback ? { text: fallback.text } : undefined,
  };
}

export function rateLimitDoc(limit: router.RateLimit | undefined): RateLimitDoc | null {
  return limit
    ? {
        requests_per_minute: limit.requestsPerMinute,
        tokens_per_minute: limit.tokensPerMinute,
      }
    : null;
}

export function rateLimitOf(doc: RateLimitDoc | null | undefined): router.RateLimit | undefined {
  return doc
    ? {
        requestsPerMinute: BigInt(doc.requests_per_minute),
        tokensPerMinute: BigInt(doc.tokens_per_minute),
      }
    : undefined;
}

export function cachePolicyDoc(cache: router.CachePolicy | undefined): CachePolicyDoc | null {
  return cache?.ttl ? { ttl_seconds: cache.ttl.seconds, ttl_nanos: cache.ttl.nanos } : null;
}

export function cachePolicyOf(
  doc: CachePolicyDoc | null | undefined,
): router.CachePolicy | undefined {
  return doc ? { ttl: { seconds: BigInt(doc.ttl_seconds), nanos: doc.ttl_nanos } } : undefined;
}
