import { common } from '@keel/contracts';
import { defineEvaluator, verdict } from '../define';
import type { EvaluatedInference } from '../evaluator';
import { groundedness as groundednessOf } from '../groundedness/score';

/** Skip reason: neither a reference context nor a system or tool message to ground in. */
export const NO_CONTEXT = 'no_context';

export interface GroundednessParams {
  /** Scores below this fail. */
  threshold: number;
}

interface Context {
  /** Where the passages came from, for the reason. */
  source: string;
  passages: string[];
}

// Context a request supplied itself: retrieved passages put in the system prompt, or tool results.
const CONTEXT_ROLES = new Set([
  common.MessageRole.MESSAGE_ROLE_SYSTEM,
  common.MessageRole.MESSAGE_ROLE_TOOL,
]);

/**
 * Whether the answer says only what its context says: the request's `reference.context` when
 * it has one, else the passages retrieved for it with its system and tool messages, else those
 * messages alone (never the user's words). Scored by
 * `groundedness()`: the share of the answer's content words found in the context, lowered by
 * word pairs not found together there. The default threshold is the one `npm run
 * eval:groundedness` tunes on its first half (grounded answers score 1; the first ungrounded
 * ones fall below 0.95).
 */
export const groundedness = defineEvaluator<GroundednessParams>({
  id: 'groundedness@1',
  description:
    'Whether the answer is supported by reference.context, or else the retrieved passages and the system and tool messages.',
  paramsSchema: {
    type: 'object',
    properties: { threshold: { type: 'number', minimum: 0, maximum: 1, default: 0.95 } },
    additionalProperties: false,
  },
  skipReason: (inference) => (contextOf(inference) ? undefined : NO_CONTEXT),
  score: (inference, params) => {
    const context = contextOf(inference)!;
    const { score, unsupported } = groundednessOf(inference.outputText, context.passages);
    if (score >= params.threshold) {
      return verdict(score, 'grounded', `The answer's words are in the ${context.source}.`, false);
    }
    const shown = unsupported.slice(0, 8).join(', ');
    const reason = unsupported.length
      ? `Not in the ${context.source}: ${shown}${unsupported.length > 8 ? ', …' : ''}.`
      : `The answer's words are in the ${context.source}, but not together as the answer puts them.`;
    return verdict(score, 'ungrounded', reason, true);
  },
});

function contextOf(inference: EvaluatedInference): Context | undefined {
  const references = (inference.reference?.context ?? []).filter((passage) => passage.trim());
  if (references.length > 0) return { source: 'reference context', passages: references };
  const messages = inference.inputMessages
    .filter((message) => CONTEXT_ROLES.has(message.role) && message.content.trim())
    .map((message) => message.content);
  if (inference.retrievedContext?.trim()) {
    return { source: 'retrieved passages', passages: [inference.retrievedContext, ...messages] };
  }
  return messages.length > 0
    ? { source: 'system and tool messages', passages: messages }
    : undefined;
}
