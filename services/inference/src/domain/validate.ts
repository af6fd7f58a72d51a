// The guards a request passes before any model is called: each names the field at fault.
import { common, type router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

export interface InputLimits {
  maxMessages: number;
  /** The most characters (UTF-16 code units) of all messages' content together. */
  maxInputChars: number;
}

/** max_tokens when neither the request nor the variant sets one. */
export const DEFAULT_MAX_TOKENS = 512;

const ROLES = new Set([
  common.MessageRole.MESSAGE_ROLE_SYSTEM,
  common.MessageRole.MESSAGE_ROLE_USER,
  common.MessageRole.MESSAGE_ROLE_ASSISTANT,
]);

export function validateMessages(messages: common.ChatMessage[], limits: InputLimits): void {
  if (messages.length === 0) throw new InvalidArgumentError('messages', 'must not be empty');
  if (messages.length > limits.maxMessages) {
    throw new InvalidArgumentError(
      'messages',
      `${messages.length} messages; at most ${limits.maxMessages} are allowed`,
    );
  }
  let characters = 0;
  messages.forEach((message, i) => {
    if (!ROLES.has(message.role)) {
      throw new InvalidArgumentError(`messages[${i}].role`, 'must be system, user or assistant');
    }
    if (message.content.trim() === '') {
      throw new InvalidArgumentError(`messages[${i}].content`, 'must not be empty');
    }
    characters += message.content.length;
  });
  if (characters > limits.maxInputChars) {
    throw new InvalidArgumentError(
      'messages',
      `${characters} characters of content; at most ${limits.maxInputChars} are allowed`,
    );
  }
}

/**
 * The max_tokens every model of the chain is called with. Any model of the chain may end up
 * serving, so the request must fit the smallest output limit among them (a model with no
 * limit in the catalog sets none). 0 asks for the variant's default (itself 0 → 512), cut to
 * that limit.
 */
export function resolveMaxTokens(
  requested: number,
  variantDefault: number,
  chain: router.Model[],
): number {
  const limit = outputLimit(chain);
  if (requested < 0 || requested > limit) {
    throw new InvalidArgumentError('max_tokens', `must be between 0 and ${limit}`);
  }
  if (requested > 0) return requested;
  return Math.min(variantDefault > 0 ? variantDefault : DEFAULT_MAX_TOKENS, limit);
}

const INT32_MAX = 2 ** 31 - 1;

function outputLimit(chain: router.Model[]): number {
  const limits = chain.map((model) => Number(model.maxOutputTokens)).filter((limit) => limit > 0);
  return Math.min(INT32_MAX, ...limits);
}
