// The input must leave room for the answer in the model's context window: checked before any
// call, so a request that cannot fit is refused instead of billed for a provider's refusal.
import { type TokenCount, countChatTokens, countTokens } from '@keel/catalog';
import type { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

/**
 * The input's tokens on `model` (messages and tool definitions), counted off the event loop
 * for a large input. Throws INVALID_ARGUMENT when they and `maxTokens` exceed its context
 * window (a model whose catalog entry has none is not checked).
 */
export async function checkContextWindow(
  model: router.Model,
  messages: common.ChatMessage[],
  tools: common.Tool[],
  maxTokens: number,
): Promise<TokenCount> {
  const counted = await countChatTokens(model, messages);
  const toolTexts = tools.map((tool) => tool.name + tool.description + tool.parametersJsonSchema);
  const toolTokens =
    toolTexts.length === 0 ? 0 : (await countTokens(model, toolTexts.join('\n'))).tokens;
  const input = { tokens: counted.tokens + toolTokens, estimated: counted.estimated };
  const window = Number(model.contextWindow);
  if (window > 0 && input.tokens + maxTokens > window) {
    throw new InvalidArgumentError(
      'messages',
      `${input.tokens} input tokens and max_tokens ${maxTokens} make ${input.tokens + maxTokens}, ` +
        `over the ${window}-token context window of model '${model.name}'`,
    );
  }
  return input;
}
