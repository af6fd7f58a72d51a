// OpenAI chat completions: `POST /v1/chat/completions`, streamed as `data: <chunk>` lines
// ending in `data: [DONE]`.
import type { Reply, Usage } from './answer';
import {
  type Conversation,
  InvalidRequestError,
  type ToolChoice,
  type ToolSpec,
  type Turn,
  isRecord,
  optionalNumber,
  optionalPositiveInteger,
} from './conversation';
import type { Dialect, StreamFrames } from './dialect';
import { digestOf } from './random';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'];
const DEFAULT_MAX_TOKENS = 4096;

export const openaiDialect: Dialect = {
  path: '/v1/chat/completions',

  authorized: (headers, secret) => headers.authorization === `Bearer ${secret}`,

  errorBody(status, message, code) {
    const type =
      status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
    const defaultCode =
      status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
    return { error: { message, type, param: null, code: code ?? defaultCode } };
  },

  parse(body) {
    if (!isRecord(body)) throw new InvalidRequestError('body', 'must be a JSON object');
    const { model, messages } = body;
    if (typeof model !== 'string' || model.length === 0) {
      throw new InvalidRequestError('model', 'must be a non-empty string');
    }
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new InvalidRequestError('messages', 'must be a non-empty array');
    }
    const turns = messages.map(turnOf);
    const lastUser = [...turns].reverse().find((turn) => turn.role === 'user');
    let firstResult = turns.length;
    while (firstResult > 0 && turns[firstResult - 1].role === 'tool') firstResult -= 1;
    const stop = body.stop ?? [];
    const stops = typeof stop === 'string' ? [stop] : stop;
    if (!Array.isArray(stops) || stops.length > 4 || stops.some((s) => typeof s !== 'string')) {
      throw new InvalidRequestError('stop', 'must be a string or up to 4 strings');
    }
    const format = body.response_format;
    if (format !== undefined && !(isRecord(format) && typeof format.type === 'string')) {
      throw new InvalidRequestError('response_format', 'must be an object with a type');
    }
    const tools = toolsOf(body.tools);
    const streamOptions = body.stream_options;
    return {
      model,
      turns,
      lastUserText: lastUser?.text ?? '',
      toolResults: turns.slice(firstResult).map((turn) => turn.text),
      tools,
      toolChoice: toolChoiceOf(body.tool_choice),
      maxTokens:
        optionalPositiveInteger('max_completion_tokens', body.max_completion_tokens) ??
        optionalPositiveInteger('max_tokens', body.max_tokens) ??
        DEFAULT_MAX_TOKENS,
      stop: stops as string[],
      json: format?.type === 'json_object' || format?.type === 'json_schema',
      temperature: optionalNumber('temperature', body.temperature, 0, 2),
      topP: optionalNumber('top_p', body.top_p, 0, 1),
      stream: body.stream === true,
      streamUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
    };
  },

  responseBody(reply, conversation) {
    const message =
      reply.kind === 'tool'
        ? { role: 'assistant', content: null, refusal: null, tool_calls: [toolCall(reply)] }
        : { role: 'assistant', content: reply.text, refusal: null };
    return {
      ...envelope(reply, conversation, 'chat.completion'),
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
      usage: usageOf(reply.usage),
    };
  },

  streamFrames(reply, conversation) {
    const base = envelope(reply, conversation, 'chat.completion.chunk');
    const usage = conversation.streamUsage ? { usage: null } : {};
    const chunk = (delta: object, finish: string | null = null) =>
      frame({
        ...base,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...usage,
      });
    const frames: StreamFrames = {
      head: [chunk({ role: 'assistant', content: reply.kind === 'tool' ? null : '' })],
      deltas: [],
      tail: [chunk({}, finishReason(reply))],
    };
    if (reply.kind === 'tool') {
      const { id, type, function: fn } = toolCall(reply);
      frames.head.push(
        chunk({ tool_calls: [{ index: 0, id, type, function: { name: fn.name, arguments: '' } }] }),
      );
      frames.deltas = reply.pieces.map((piece) =>
        chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }),
      );
    } else {
      frames.deltas = reply.pieces.map((piece) => chunk({ content: piece }));
    }
    if (conversation.streamUsage) {
      frames.tail.push(frame({ ...base, choices: [], usage: usageOf(reply.usage) }));
    }
    frames.tail.push('data: [DONE]\n\n');
    return frames;
  },
};

function frame(data: object): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

function envelope(reply: Reply, conversation: Conversation, object: string) {
  return {
    id: `chatcmpl-${digestOf(JSON.stringify([conversation.turns, reply.usage]))}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: conversation.model,
    system_fingerprint: null,
  };
}

function finishReason(reply: Reply): string {
  if (reply.kind === 'tool') return 'tool_calls';
  return reply.finish === 'length' ? 'length' : 'stop';
}

function toolCall(reply: Extract<Reply, { kind: 'tool' }>) {
  return {
    id: `call_${reply.callId}`,
    type: 'function',
    function: { name: reply.name, arguments: reply.arguments },
  };
}

function usageOf(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function turnOf(message: unknown, i: number): Turn {
  const param = `messages[${i}]`;
  if (!isRecord(message) || typeof message.role !== 'string' || !ROLES.includes(message.role)) {
    throw new InvalidRequestError(`${param}.role`, `must be one of ${ROLES.join(', ')}`);
  }
  const { role, content, tool_calls: toolCalls } = message;
  if (role === 'tool' && typeof message.tool_call_id !== 'string') {
    throw new InvalidRequestError(`${param}.tool_call_id`, 'is required for a tool message');
  }
  const calls = role === 'assistant' && Array.isArray(toolCalls) && toolCalls.length > 0;
  if (content === null || content === undefined) {
    if (calls) return { role, text: JSON.stringify(toolCalls) };
    throw new InvalidRequestError(`${param}.content`, 'is required');
  }
  const text = textOf(`${param}.content`, content);
  return { role, text: calls ? text + JSON.stringify(toolCalls) : text };
}

function textOf(param: string, content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new InvalidRequestError(param, 'must be a string or parts');
  return content
    .map((part, i) => {
      if (!isRecord(part) || typeof part.type !== 'string') {
        throw new InvalidRequestError(`${param}[${i}].type`, 'is required');
      }
      return part.type === 'text' && typeof part.text === 'string' ? part.text : '';
    })
    .join('');
}

function toolsOf(tools: unknown): ToolSpec[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw new InvalidRequestError('tools', 'must be an array');
  return tools.map((tool, i) => {
    const fn = isRecord(tool) && tool.type === 'function' ? tool.function : undefined;
    if (!isRecord(fn) || typeof fn.name !== 'string' || fn.name.length === 0) {
      throw new InvalidRequestError(`tools[${i}]`, 'must be {type: "function", function: {name}}');
    }
    return { name: fn.name, parameters: isRecord(fn.parameters) ? fn.parameters : {} };
  });
}

function toolChoiceOf(choice: unknown): ToolChoice {
  if (choice === undefined || choice === null || choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'required' };
  const fn = isRecord(choice) && choice.type === 'function' ? choice.function : undefined;
  if (isRecord(fn) && typeof fn.name === 'string') return { type: 'named', name: fn.name };
  throw new InvalidRequestError(
    'tool_choice',
    'must be none, auto, required or {type: "function", function: {name}}',
  );
}
