// Anthropic Messages: `POST /v1/messages`, streamed as named events (`message_start`,
// `content_block_start`, `content_block_delta`, `content_block_stop`, `message_delta`,
// `message_stop`).
import type { Reply } from './answer';
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
import type { Dialect } from './dialect';
import { digestOf } from './random';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export const anthropicDialect: Dialect = {
  path: '/v1/messages',

  // The API takes the key as `x-api-key`; the SDK's `apiKey` may also arrive as a bearer token.
  authorized: (headers, secret) =>
    headers['x-api-key'] === secret || headers.authorization === `Bearer ${secret}`,

  errorBody(status, message) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return { type: 'error', error: { type, message } };
  },

  parse(body) {
    if (!isRecord(body)) throw new InvalidRequestError('body', 'must be a JSON object');
    const { model, messages } = body;
    if (typeof model !== 'string' || model.length === 0) {
      throw new InvalidRequestError('model', 'must be a non-empty string');
    }
    const maxTokens = optionalPositiveInteger('max_tokens', body.max_tokens);
    if (maxTokens === undefined) throw new InvalidRequestError('max_tokens', 'Field required');
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new InvalidRequestError('messages', 'must be a non-empty array');
    }
    const parsed = messages.map(messageOf);
    const system = body.system === undefined ? [] : [{ role: 'system', text: systemOf(body) }];
    const last = parsed[parsed.length - 1];
    // A message of only tool results carries no prompt: the prompt is the last one written.
    const lastUser = [...parsed]
      .reverse()
      .find((message) => message.turn.role === 'user' && message.text.length > 0);
    const stop = body.stop_sequences ?? [];
    if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string')) {
      throw new InvalidRequestError('stop_sequences', 'must be an array of strings');
    }
    return {
      model,
      turns: [...system, ...parsed.map((message) => message.turn)],
      lastUserText: lastUser?.text ?? '',
      toolResults: last.turn.role === 'user' ? last.toolResults : [],
      tools: toolsOf(body.tools),
      toolChoice: toolChoiceOf(body.tool_choice),
      maxTokens,
      stop: stop as string[],
      json: false,
      temperature: optionalNumber('temperature', body.temperature, 0, 1),
      topP: optionalNumber('top_p', body.top_p, 0, 1),
      stream: body.stream === true,
      streamUsage: false,
    };
  },

  responseBody(reply, conversation) {
    return {
      ...messageEnvelope(reply, conversation),
      content: [
        reply.kind === 'tool'
          ? {
              type: 'tool_use',
              id: `toolu_${reply.callId}`,
              name: reply.name,
              input: JSON.parse(reply.arguments),
            }
          : { type: 'text', text: reply.text },
      ],
      stop_reason: stopReason(reply),
      stop_sequence: stopSequence(reply),
      usage: {
        input_tokens: reply.usage.inputTokens - reply.usage.cachedTokens,
        output_tokens: reply.usage.outputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: reply.usage.cachedTokens,
      },
    };
  },

  streamFrames(reply, conversation) {
    const { inputTokens, cachedTokens, outputTokens } = reply.usage;
    const block =
      reply.kind === 'tool'
        ? { type: 'tool_use', id: `toolu_${reply.callId}`, name: reply.name, input: {} }
        : { type: 'text', text: '' };
    return {
      head: [
        event('message_start', {
          message: {
            ...messageEnvelope(reply, conversation),
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: {
              input_tokens: inputTokens - cachedTokens,
              output_tokens: 1,
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: cachedTokens,
            },
          },
        }),
        event('content_block_start', { index: 0, content_block: block }),
        event('ping', {}),
      ],
      deltas: reply.pieces.map((piece) =>
        event('content_block_delta', {
          index: 0,
          delta:
            reply.kind === 'tool'
              ? { type: 'input_json_delta', partial_json: piece }
              : { type: 'text_delta', text: piece },
        }),
      ),
      tail: [
        event('content_block_stop', { index: 0 }),
        event('message_delta', {
          delta: { stop_reason: stopReason(reply), stop_sequence: stopSequence(reply) },
          usage: { output_tokens: outputTokens },
        }),
        event('message_stop', {}),
      ],
    };
  },
};

function event(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

function messageEnvelope(reply: Reply, conversation: Conversation) {
  return {
    id: `msg_${digestOf(JSON.stringify([conversation.turns, reply.usage]))}`,
    type: 'message',
    role: 'assistant',
    model: conversation.model,
  };
}

function stopReason(reply: Reply): string {
  if (reply.kind === 'tool') return 'tool_use';
  return { stop: 'end_turn', length: 'max_tokens', stop_sequence: 'stop_sequence' }[reply.finish];
}

function stopSequence(reply: Reply): string | null {
  return reply.kind === 'text' ? (reply.stopSequence ?? null) : null;
}

interface ParsedMessage {
  turn: Turn;
  /** The message's own text blocks. */
  text: string;
  toolResults: string[];
}

function messageOf(message: unknown, i: number): ParsedMessage {
  const param = `messages.${i}`;
  if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
    throw new InvalidRequestError(`${param}.role`, 'must be user or assistant');
  }
  const { role, content } = message;
  if (typeof content === 'string')
    return { turn: { role, text: content }, text: content, toolResults: [] };
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(`${param}.content`, 'must be a string or content blocks');
  }
  const texts: string[] = [];
  const counted: string[] = [];
  const toolResults: string[] = [];
  content.forEach((block, j) => {
    const at = `${param}.content.${j}`;
    if (!isRecord(block) || typeof block.type !== 'string') {
      throw new InvalidRequestError(`${at}.type`, 'is required');
    }
    if (block.type === 'text' && typeof block.text === 'string') {
      texts.push(block.text);
      counted.push(block.text);
    } else if (block.type === 'tool_use') {
      counted.push(JSON.stringify({ name: block.name, input: block.input }));
    } else if (block.type === 'tool_result') {
      if (typeof block.tool_use_id !== 'string') {
        throw new InvalidRequestError(`${at}.tool_use_id`, 'is required for a tool_result');
      }
      const result = toolResultText(`${at}.content`, block.content);
      toolResults.push(result);
      counted.push(result);
    }
  });
  return { turn: { role, text: counted.join('\n') }, text: texts.join('\n'), toolResults };
}

function toolResultText(param: string, content: unknown): string {
  if (content === undefined || typeof content === 'string') return content ?? '';
  if (!Array.isArray(content)) throw new InvalidRequestError(param, 'must be a string or blocks');
  return content
    .map((block) => (isRecord(block) && typeof block.text === 'string' ? block.text : ''))
    .join('');
}

function systemOf(body: Record<string, unknown>): string {
  const { system } = body;
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) {
    return system
      .map((block) => (isRecord(block) && typeof block.text === 'string' ? block.text : ''))
      .join('\n');
  }
  throw new InvalidRequestError('system', 'must be a string or text blocks');
}

function toolsOf(tools: unknown): ToolSpec[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw new InvalidRequestError('tools', 'must be an array');
  return tools.map((tool, i) => {
    if (!isRecord(tool) || typeof tool.name !== 'string' || tool.name.length === 0) {
      throw new InvalidRequestError(`tools.${i}.name`, 'is required');
    }
    if (!isRecord(tool.input_schema)) {
      throw new InvalidRequestError(`tools.${i}.input_schema`, 'Field required');
    }
    return { name: tool.name, parameters: tool.input_schema };
  });
}

function toolChoiceOf(choice: unknown): ToolChoice {
  if (choice === undefined || choice === null) return { type: 'auto' };
  if (isRecord(choice)) {
    if (choice.type === 'auto' || choice.type === 'none') return { type: choice.type };
    if (choice.type === 'any') return { type: 'required' };
    if (choice.type === 'tool' && typeof choice.name === 'string') {
      return { type: 'named', name: choice.name };
    }
  }
  throw new InvalidRequestError('tool_choice', 'must be {type: auto | any | none | tool, name}');
}
