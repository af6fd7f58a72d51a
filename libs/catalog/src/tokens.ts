import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';

export interface TokenCount {
  tokens: number;
  /** True when no exact tokenizer is known for the model and the count is ceil(chars / 4). */
  estimated: boolean;
}

// The rank tables are megabytes each: load one only when a model first needs it. The subpath
// exports resolve at run time; the compiler's Node10 resolution cannot see them, hence require.
/* eslint-disable @typescript-eslint/no-require-imports */
const RANKS: Record<string, () => TiktokenBPE> = {
  o200k_base: () => require('js-tiktoken/ranks/o200k_base') as TiktokenBPE,
  cl100k_base: () => require('js-tiktoken/ranks/cl100k_base') as TiktokenBPE,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const encoders = new Map<string, Tiktoken>();

// OpenAI's published accounting for chat completions: every message costs 3 tokens on top of
// its role and content, and every reply is primed with 3 more.
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

const ROLE_NAMES: Partial<Record<common.MessageRole, string>> = {
  [common.MessageRole.MESSAGE_ROLE_SYSTEM]: 'system',
  [common.MessageRole.MESSAGE_ROLE_USER]: 'user',
  [common.MessageRole.MESSAGE_ROLE_ASSISTANT]: 'assistant',
};

/**
 * The tokens of `text` for `model`: exact when `model.tokenizer` names an encoding Keel knows
 * (o200k_base, cl100k_base), else estimated as ceil(UTF-16 code units / 4). Text that looks
 * like a special token (`<|endoftext|>`) counts as ordinary text, as a provider counts it.
 */
export function countTokens(model: router.Model, text: string): TokenCount {
  const encoder = encoderFor(model.tokenizer);
  if (!encoder) return { tokens: Math.ceil(text.length / 4), estimated: true };
  return { tokens: encoder.encode(text, [], []).length, estimated: false };
}

/** The prompt tokens of a chat: 3 per message + its role + its content, and 3 to prime the reply. */
export function countChatTokens(model: router.Model, messages: common.ChatMessage[]): TokenCount {
  let tokens = REPLY_PRIMING_TOKENS;
  let estimated = false;
  messages.forEach((message, i) => {
    const role = ROLE_NAMES[message.role];
    if (!role) throw new InvalidArgumentError(`messages[${i}].role`, 'must be set');
    const roleCount = countTokens(model, role);
    const contentCount = countTokens(model, message.content);
    tokens += TOKENS_PER_MESSAGE + roleCount.tokens + contentCount.tokens;
    estimated ||= roleCount.estimated || contentCount.estimated;
  });
  return { tokens, estimated };
}

function encoderFor(tokenizer: string): Tiktoken | undefined {
  const cached = encoders.get(tokenizer);
  if (cached) return cached;
  const ranks = Object.hasOwn(RANKS, tokenizer) ? RANKS[tokenizer] : undefined;
  if (!ranks) return undefined;
  const encoder = new Tiktoken(ranks());
  encoders.set(tokenizer, encoder);
  return encoder;
}
