// Keel's request and answer in OpenAI's chat completions shapes, and back.
import { common, inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import type OpenAI from 'openai';
import type { ProviderRequest } from '../../domain/provider';
import { parametersOf } from '../tool-schemas';

type MessageParam = OpenAI.Chat.ChatCompletionMessageParam;
type RequestBody = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;

const { MessageRole } = common;
const { FinishReason } = inference;

/** The request body, less `stream`; throws INVALID_ARGUMENT for a tool schema that is not JSON. */
export function requestBody(request: ProviderRequest): RequestBody {
  const tools = request.tools.map((tool, i): OpenAI.Chat.ChatCompletionFunctionTool => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      ...(tool.parametersJsonSchema.trim() ? { parameters: parametersOf(tool, i) } : {}),
    },
  }));
  return {
    model: request.model.providerModel,
    messages: request.messages.map(messageOf),
    // The current name of the limit; OpenAI's reasoning models refuse the older `max_tokens`.
    max_completion_tokens: request.maxTokens,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.stop.length > 0 ? { stop: request.stop } : {}),
    ...(request.responseFormat === inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT
      ? { response_format: { type: 'json_object' } }
      : {}),
    ...(tools.length > 0 ? { tools, tool_choice: toolChoiceOf(request.toolChoice) } : {}),
  };
}

function messageOf(message: common.ChatMessage, i: number): MessageParam {
  switch (message.role) {
    case MessageRole.MESSAGE_ROLE_SYSTEM:
      return { role: 'system', content: message.content };
    case MessageRole.MESSAGE_ROLE_USER:
      return { role: 'user', content: message.content };
    case MessageRole.MESSAGE_ROLE_ASSISTANT:
      if (message.toolCalls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // A message that only calls tools has no text: OpenAI wants null, not ''.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.argumentsJson },
        })),
      };
    case MessageRole.MESSAGE_ROLE_TOOL:
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    default:
      throw new InvalidArgumentError(`messages[${i}].role`, 'must be set');
  }
}

function toolChoiceOf(choice: string): OpenAI.Chat.ChatCompletionToolChoiceOption {
  if (choice === '' || choice === 'auto' || choice === 'none' || choice === 'required') {
    return choice || 'auto';
  }
  return { type: 'function', function: { name: choice } };
}

export function finishReasonOf(reason: string | null | undefined): inference.FinishReason {
  switch (reason) {
    case 'stop':
      return FinishReason.FINISH_REASON_STOP;
    case 'length':
      return FinishReason.FINISH_REASON_LENGTH;
    case 'tool_calls':
    case 'function_call':
      return FinishReason.FINISH_REASON_TOOL_CALLS;
    case 'content_filter':
      return FinishReason.FINISH_REASON_CONTENT_FILTER;
    default:
      return FinishReason.FINISH_REASON_UNSPECIFIED;
  }
}

/** The usage as reported; cached input and reasoning output are parts of the totals. */
export function usageOf(usage: OpenAI.CompletionUsage): common.Usage {
  return common.Usage.fromPartial({
    inputTokens: BigInt(usage.prompt_tokens),
    outputTokens: BigInt(usage.completion_tokens),
    cachedInputTokens: BigInt(usage.prompt_tokens_details?.cached_tokens ?? 0),
    reasoningTokens: BigInt(usage.completion_tokens_details?.reasoning_tokens ?? 0),
    estimated: false,
  });
}

/** The answer's function calls (custom tools are not offered, so none come back). */
export function toolCallsOf(
  calls: OpenAI.Chat.ChatCompletionMessageToolCall[] | undefined,
): common.ToolCall[] {
  return (calls ?? []).flatMap((call) =>
    call.type === 'function'
      ? [{ id: call.id, name: call.function.name, argumentsJson: call.function.arguments }]
      : [],
  );
}
