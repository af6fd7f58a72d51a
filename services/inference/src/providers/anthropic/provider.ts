/**
 * Anthropic Messages through the official `@anthropic-ai/sdk`, its own retries off: Keel's
 * resilience decides what is retried. One client per provider configuration keeps its
 * connections alive across calls.
 *
 * JSON output mode is asked for in the system prompt (see wire.ts). A stream's usage comes from
 * its `message_start` (input) and `message_delta` (output) events; a tool call's arguments
 * arrive as pieces of JSON and are passed on whole when its content block stops.
 */
import Anthropic, { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { common } from '@keel/contracts';
import { countedUsage } from '../counted-usage';
import { abandoned, brokenOff, sdkFailure } from '../failures';
import { type HttpProviderConfig, SDK_TIMEOUT_MS } from '../http-config';
import type {
  Provider,
  ProviderChunk,
  ProviderRequest,
  ProviderResponse,
} from '../../domain/provider';
import { type AnthropicUsage, answerOf, finishReasonOf, requestBody, usageOf } from './wire';

export class AnthropicProvider implements Provider {
  readonly name: string;
  private readonly client: Anthropic;
  private readonly apiKey: string | undefined;

  constructor(config: HttpProviderConfig) {
    this.name = config.name;
    this.apiKey = config.apiKey;
    this.client = new Anthropic({
      baseURL: config.baseUrl,
      // Given, even empty, so the SDK looks for no key of its own (ANTHROPIC_* variables,
      // profiles); without one, no Authorization header is sent.
      apiKey: config.apiKey ?? '',
      defaultHeaders: {
        ...config.defaultHeaders,
        ...(config.apiKey === undefined ? { Authorization: null } : {}),
      },
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      // The SDK's debug log prints requests; Keel logs its own way.
      logLevel: 'off',
    });
  }

  async complete(request: ProviderRequest): Promise<ProviderResponse> {
    const body = requestBody(request);
    let message: Anthropic.Message;
    try {
      message = await this.client.messages.create(body, { signal: request.signal });
    } catch (error) {
      throw this.failureOf(error, request.signal);
    }
    return {
      ...answerOf(message.content),
      finishReason: finishReasonOf(message.stop_reason),
      usage: usageOf(message.usage),
    };
  }

  async *stream(request: ProviderRequest): AsyncGenerator<ProviderChunk> {
    const { model, messages, signal } = request;
    const body = requestBody(request);
    let events: AsyncIterable<Anthropic.RawMessageStreamEvent> & { controller: AbortController };
    try {
      events = await this.client.messages.create({ ...body, stream: true }, { signal });
    } catch (error) {
      throw this.failureOf(error, signal);
    }
    // Everything the model generated, so a stream cut short is billed for what it delivered.
    let generated = '';
    let usage: AnthropicUsage | undefined;
    const delivered = () =>
      countedUsage(model, messages, generated, usage && reportedInput(usageOf(usage)));
    const toolCalls = new Map<number, common.ToolCall>();
    let stopReason: string | null = null;
    try {
      for await (const event of events) {
        switch (event.type) {
          case 'message_start':
            usage = event.message.usage;
            break;
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              const { id, name } = event.content_block;
              toolCalls.set(event.index, { id, name, argumentsJson: '' });
              generated += name;
            }
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta' && event.delta.text) {
              generated += event.delta.text;
              yield { type: 'text', text: event.delta.text };
            } else if (event.delta.type === 'input_json_delta') {
              const call = toolCalls.get(event.index);
              if (call) call.argumentsJson += event.delta.partial_json;
              generated += event.delta.partial_json;
            } else if (event.delta.type === 'thinking_delta') {
              generated += event.delta.thinking;
            }
            break;
          case 'content_block_stop': {
            const call = toolCalls.get(event.index);
            if (call) {
              toolCalls.delete(event.index);
              // A call without arguments streams no JSON at all.
              yield {
                type: 'tool_call',
                toolCall: { ...call, argumentsJson: call.argumentsJson || '{}' },
              };
            }
            break;
          }
          case 'message_delta':
            stopReason = event.delta.stop_reason ?? stopReason;
            // The delta's counts are cumulative; the ones it leaves null stand as they started.
            usage = mergedUsage(usage, event.usage);
            break;
        }
      }
    } catch (error) {
      throw this.failureOf(error, signal, await delivered());
    } finally {
      // Ending the iteration early aborts the request; after a whole answer it does nothing.
      events.controller.abort();
    }
    // The SDK ends a stream its signal aborted as if it were complete.
    if (signal.aborted) throw abandoned(this.name, await delivered());
    if (stopReason === null || usage === undefined) {
      const context = { provider: this.name, secret: this.apiKey, usage: await delivered() };
      throw brokenOff(context, 'the stream ended without a stop reason');
    }
    yield { type: 'end', finishReason: finishReasonOf(stopReason), usage: usageOf(usage) };
  }

  private failureOf(error: unknown, signal: AbortSignal, usage?: common.Usage): Error {
    const context = { provider: this.name, secret: this.apiKey, usage };
    return sdkFailure(SDK_ERRORS, context, error, signal);
  }
}

const SDK_ERRORS = { APIError, APIConnectionError, APIUserAbortError };

function mergedUsage(
  start: AnthropicUsage | undefined,
  delta: Anthropic.MessageDeltaUsage,
): AnthropicUsage {
  return {
    input_tokens: delta.input_tokens ?? start?.input_tokens ?? null,
    output_tokens: delta.output_tokens,
    cache_read_input_tokens:
      delta.cache_read_input_tokens ?? start?.cache_read_input_tokens ?? null,
    cache_creation_input_tokens:
      delta.cache_creation_input_tokens ?? start?.cache_creation_input_tokens ?? null,
    output_tokens_details: delta.output_tokens_details ?? start?.output_tokens_details ?? null,
  };
}

function reportedInput(usage: common.Usage) {
  return { inputTokens: usage.inputTokens, cachedInputTokens: usage.cachedInputTokens };
}
