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

const { MESSAGE_ROLE_ASSISTANT: ASSISTANT, MESSAGE_ROLE_TOOL: TOOL } = common.MessageRole;
const ROLES = new Set([
  common.MessageRole.MESSAGE_ROLE_SYSTEM,
  common.MessageRole.MESSAGE_ROLE_USER,
  ASSISTANT,
  TOOL,
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
  // The ids of the tool calls asked for so far: a tool message answers one of them.
  const calls = new Set<string>();
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (!ROLES.has(message.role)) {
      throw new InvalidArgumentError(`${at}.role`, 'must be system, user, assistant or tool');
    }
    // An assistant message that only calls tools has no text.
    const callsOnly = message.role === ASSISTANT && message.toolCalls.length > 0;
    if (message.content.trim() === '' && !callsOnly) {
      throw new InvalidArgumentError(`${at}.content`, 'must not be empty');
    }
    if (message.toolCalls.length > 0 && message.role !== ASSISTANT) {
      throw new InvalidArgumentError(`${at}.tool_calls`, 'only an assistant message calls tools');
    }
    message.toolCalls.forEach((call, j) => {
      checkToolCall(call, `${at}.tool_calls[${j}]`);
      characters += call.argumentsJson.length;
      calls.add(call.id);
    });
    if (message.role === TOOL) {
      if (message.toolCallId === '') {
        throw new InvalidArgumentError(
          `${at}.tool_call_id`,
          'a tool message must name the call it answers',
        );
      }
      if (!calls.has(message.toolCallId)) {
        throw new InvalidArgumentError(
          `${at}.tool_call_id`,
          `'${message.toolCallId}' is not the id of a tool call of an earlier assistant message`,
        );
      }
    } else if (message.toolCallId !== '') {
      throw new InvalidArgumentError(`${at}.tool_call_id`, 'only a tool message answers a call');
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

function checkToolCall(call: common.ToolCall, at: string): void {
  if (call.id === '') throw new InvalidArgumentError(`${at}.id`, 'must not be empty');
  if (call.name === '') throw new InvalidArgumentError(`${at}.name`, 'must not be empty');
  if (parsedJson(call.argumentsJson) === undefined) {
    throw new InvalidArgumentError(`${at}.arguments_json`, 'must be JSON');
  }
}

/** The value of a JSON text, or undefined when it is not JSON. */
export function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
