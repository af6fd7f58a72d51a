// Keel's request and answer in Anthropic Messages shapes, and back. System messages become the
// top-level `system`; a tool's result is a `tool_result` block of a user message; the calls an
// assistant made are its `tool_use` blocks. Consecutive messages of one role are merged, as the
// API wants turns to alternate.
import type Anthropic from '@anthropic-ai/sdk';
import { common, inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import type { ProviderRequest } from '../../domain/provider';
import { objectOf, parametersOf } from '../tool-schemas';

type Block = Anthropic.ContentBlockParam;
type RequestBody = Anthropic.MessageCreateParamsNonStreaming;

const { MessageRole } = common;
const { FinishReason } = inference;

/**
 * The Messages API has no JSON object mode: it is asked for in the system prompt, which the
 * models follow closely. Only models the catalog says have `json_mode` are asked.
 */
export const JSON_INSTRUCTION =
  'Answer with one JSON object and nothing else: no prose before or after it, no code fences.';

/** The request body, less `stream`; throws INVALID_ARGUMENT for tool JSON that is not an object. */
export function requestBody(request: ProviderRequest): RequestBody {
  const system: string[] = [];
  const messages: Anthropic.MessageParam[] = [];
  request.messages.forEach((message, i) => {
    if (message.role === MessageRole.MESSAGE_ROLE_SYSTEM) {
      system.push(message.content);
      return;
    }
    const turn = turnOf(message, i);
    const previous = messages[messages.length - 1];
    if (previous && previous.role === turn.role) {
      (previous.content as Block[]).push(...turn.content);
    } else {
      messages.push(turn);
    }
  });
  if (request.responseFormat === inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT) {
    system.push(JSON_INSTRUCTION);
  }
  const tools = request.tools.map((tool, i): Anthropic.Tool => ({
    name: tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    input_schema: { type: 'object', ...parametersOf(tool, i) },
  }));
  return {
    model: request.model.providerModel,
    max_tokens: request.maxTokens,
    messages,
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.stop.length > 0 ? { stop_sequences: request.stop } : {}),
    ...(tools.length > 0 ? { tools, tool_choice: toolChoiceOf(request.toolChoice) } : {}),
  };
}

function turnOf(
  message: common.ChatMessage,
  i: number,
): { role: 'user' | 'assistant'; content: Block[] } {
  switch (message.role) {
    case MessageRole.MESSAGE_ROLE_USER:
      return { role: 'user', content: [{ type: 'text', text: message.content }] };
    case MessageRole.MESSAGE_ROLE_ASSISTANT: {
      const calls = message.toolCalls.map((call, j): Block => ({
        type: 'tool_use',
        id: call.id,
        name: call.name,
        input: objectOf(call.argumentsJson, `messages[${i}].tool_calls[${j}].arguments_json`),
      }));
      // The API refuses an empty text block; a message that only calls tools has none.
      const text: Block[] =
        message.content === '' && calls.length > 0 ? [] : [{ type: 'text', text: message.content }];
      return { role: 'assistant', content: [...text, ...calls] };
    }
    case MessageRole.MESSAGE_ROLE_TOOL:
      return {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content },
        ],
      };
    default:
      throw new InvalidArgumentError(`messages[${i}].role`, 'must be set');
  }
}

function toolChoiceOf(choice: string): Anthropic.ToolChoice {
  switch (choice) {
    case '':
    case 'auto':
      return { type: 'auto' };
    case 'none':
      return { type: 'none' };
    case 'required':
      return { type: 'any' };
    default:
      return { type: 'tool', name: choice };
  }
}

export function finishReasonOf(reason: string | null | undefined): inference.FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return FinishReason.FINISH_REASON_STOP;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return FinishReason.FINISH_REASON_LENGTH;
    case 'tool_use':
      return FinishReason.FINISH_REASON_TOOL_CALLS;
    case 'refusal':
      return FinishReason.FINISH_REASON_CONTENT_FILTER;
    default:
      return FinishReason.FINISH_REASON_UNSPECIFIED;
  }
}

/** The counts of a response's `usage`, or of a stream's start merged with its last delta. */
export interface AnthropicUsage {
  input_tokens: number | null;
  output_tokens: number;
  cache_read_input_tokens: number | null;
  cache_creation_input_tokens: number | null;
  output_tokens_details?: { thinking_tokens: number } | null;
}

/**
 * Anthropic's `input_tokens` leaves out the tokens read from and written to the prompt cache;
 * Keel's input counts all of them, the cache reads also as cached input and the cache writes
 * also as cache-write input, so each is priced at its own price.
 */
export function usageOf(usage: AnthropicUsage): common.Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  return common.Usage.fromPartial({
    inputTokens: BigInt(
      (usage.input_tokens ?? 0) + cacheRead + (usage.cache_creation_input_tokens ?? 0),
    ),
    cachedInputTokens: BigInt(cacheRead),
    cacheWriteInputTokens: BigInt(usage.cache_creation_input_tokens ?? 0),
    outputTokens: BigInt(usage.output_tokens),
    reasoningTokens: BigInt(usage.output_tokens_details?.thinking_tokens ?? 0),
    estimated: false,
  });
}

/** The answer's text and tool calls; thinking and server tool blocks are not part of it. */
export function answerOf(content: Anthropic.ContentBlock[]): {
  text: string;
  toolCalls: common.ToolCall[];
} {
  let text = '';
  const toolCalls: common.ToolCall[] = [];
  for (const block of content) {
    if (block.type === 'text') text += block.text;
    if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        name: block.name,
        argumentsJson: JSON.stringify(block.input),
      });
    }
  }
  return { text, toolCalls };
}
