// The size bounds of a function's guardrails (0: no bound). A request over one is the caller's
// to fix, so it is refused with INVALID_ARGUMENT naming the field and the bound, never answered
// with the fallback.
import type { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

type Limits = router.GuardrailLimits | undefined;

export function checkMessageCount(limits: Limits, count: number): void {
  const max = limits?.maxMessages ?? 0;
  if (max > 0 && count > max) {
    throw new InvalidArgumentError(
      'messages',
      `${count} messages, more than this function's limit of ${max}`,
    );
  }
}

/** `inputTokens` as the context-window check counted them on the routed model. */
export function checkInputTokens(limits: Limits, inputTokens: number): void {
  const max = Number(limits?.maxInputTokens ?? 0n);
  if (max > 0 && inputTokens > max) {
    throw new InvalidArgumentError(
      'messages',
      `${inputTokens} input tokens, more than this function's limit of ${max}`,
    );
  }
}

export interface AskedOutput {
  /** The request's max_tokens; 0 when it set none. */
  requested: number;
  variantName: string;
  /** The variant's default max_tokens; 0 when it sets none. */
  variantDefault: number;
  /** The max_tokens the chain would be called with (see resolveMaxTokens). */
  resolved: number;
}

/**
 * The max_tokens to call the chain with under the function's max_output_tokens: the request's,
 * or the variant's default, each refused when over it. When neither sets one, Keel's own
 * default is cut to the bound instead: the caller asked for nothing it could fix.
 */
export function outputTokensWithin(limits: Limits, asked: AskedOutput): number {
  const max = limits?.maxOutputTokens ?? 0;
  if (max <= 0 || asked.resolved <= max) return asked.resolved;
  if (asked.requested > 0) {
    throw new InvalidArgumentError(
      'max_tokens',
      `${asked.requested} is over this function's limit of ${max}`,
    );
  }
  if (asked.variantDefault > 0) {
    throw new InvalidArgumentError(
      'max_tokens',
      `not set, and variant '${asked.variantName}' defaults to ${asked.resolved}, over this ` +
        `function's limit of ${max}: set max_tokens to at most ${max}`,
    );
  }
  return max;
}
