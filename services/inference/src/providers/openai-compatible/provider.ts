/**
 * OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp server, Together, Groq…)
 * at the provider's base URL: streams through the official `openai` SDK, whole answers as one
 * JSON request on a connection pool (ChatCompletionsClient), which costs half the CPU. The
 * SDK's own retries are off: Keel's resilience decides what is retried. One client per
 * provider configuration keeps its connections alive across calls.
 *
 * Streams ask for `stream_options.include_usage`; a provider that still sends no usage has it
 * counted with the catalog's tokenizer and marked estimated. Streamed tool calls are gathered
 * per index and each is passed on whole, once the stream has moved past it.
 */
import type { common } from '@keel/contracts';
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { countedUsage } from '../counted-usage';
import { type HttpProviderConfig, SDK_TIMEOUT_MS } from '../http-config';
import { abandoned, brokenOff, sdkFailure } from '../failures';
import {
  type Provider,
  type ProviderChunk,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from '../../domain/provider';
import { ChatCompletionsClient } from './chat-client';
import { ToolCallDeltas } from './tool-call-deltas';
import { finishReasonOf, requestBody, toolCallsOf, usageOf } from './wire';

export class OpenAiCompatibleProvider implements Provider {
  readonly name: string;
  private readonly client: OpenAI;
  private readonly whole: ChatCompletionsClient;
  private readonly apiKey: string | undefined;

  constructor(config: HttpProviderConfig) {
    this.name = config.name;
    this.apiKey = config.apiKey;
    this.whole = new ChatCompletionsClient(config);
    this.client = new OpenAI({
      baseURL: config.baseUrl,
      // Without a key no Authorization header is sent (the SDK insists on a key otherwise).
      apiKey: config.apiKey ?? 'none',
      // Set, so the SDK reads none of its OPENAI_* variables: the configuration is the operator's.
      adminAPIKey: null,
      organization: null,
      project: null,
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
    const completion = await this.whole.create(body, request.signal);
    const choice = completion.choices[0];
    if (!choice) {
      throw new ProviderError(`${this.name}: the answer has no choice`, { transient: false });
    }
    const text = choice.message.content ?? '';
    const toolCalls = toolCallsOf(choice.message.tool_calls);
    return {
      text,
      toolCalls,
      finishReason: finishReasonOf(choice.finish_reason),
      usage: completion.usage
        ? usageOf(completion.usage)
        : await countedUsage(request.model, request.messages, generatedText(text, toolCalls)),
    };
  }

  async *stream(request: ProviderRequest): AsyncGenerator<ProviderChunk> {
    const { model, messages, signal } = request;
    const body = requestBody(request);
    let chunks: AsyncIterable<OpenAI.Chat.ChatCompletionChunk> & { controller: AbortController };
    try {
      chunks = await this.client.chat.completions.create(
        { ...body, stream: true, stream_options: { include_usage: true } },
        { signal },
      );
    } catch (error) {
      throw this.failureOf(error, signal);
    }
    // Everything the model generated, so a stream cut short is billed for what it delivered.
    let generated = '';
    const delivered = () => countedUsage(model, messages, generated);
    const calls = new ToolCallDeltas();
    let finishReason: string | undefined;
    let usage: common.Usage | undefined;
    try {
      for await (const chunk of chunks) {
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices[0];
        if (!choice) continue;
        for (const delta of choice.delta.tool_calls ?? []) {
          yield* toolCallChunks(calls.add(delta));
          generated += (delta.function?.name ?? '') + (delta.function?.arguments ?? '');
        }
        const text = choice.delta.content;
        if (text) {
          yield* toolCallChunks(calls.flush());
          generated += text;
          yield { type: 'text', text };
        }
        if (choice.finish_reason) {
          yield* toolCallChunks(calls.flush());
          finishReason = choice.finish_reason;
        }
      }
    } catch (error) {
      throw this.failureOf(error, signal, usage ?? (await delivered()));
    } finally {
      // Ending the iteration early aborts the request; after a whole answer it does nothing.
      chunks.controller.abort();
    }
    // The SDK ends a stream its signal aborted as if it were complete.
    if (signal.aborted) throw abandoned(this.name, await delivered());
    if (finishReason === undefined) {
      const context = { provider: this.name, secret: this.apiKey, usage: await delivered() };
      throw brokenOff(context, 'the stream ended without a finish reason');
    }
    yield* toolCallChunks(calls.flush());
    yield {
      type: 'end',
      finishReason: finishReasonOf(finishReason),
      usage: usage ?? (await delivered()),
    };
  }

  private failureOf(error: unknown, signal: AbortSignal, usage?: common.Usage): Error {
    const context = { provider: this.name, secret: this.apiKey, usage };
    return sdkFailure(SDK_ERRORS, context, error, signal);
  }
}

const SDK_ERRORS = { APIError, APIConnectionError, APIUserAbortError };

function* toolCallChunks(calls: common.ToolCall[]): Generator<ProviderChunk> {
  for (const toolCall of calls) yield { type: 'tool_call', toolCall };
}

function generatedText(text: string, toolCalls: common.ToolCall[]): string {
  return text + toolCalls.map((call) => call.name + call.argumentsJson).join('');
}
