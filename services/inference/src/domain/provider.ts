// What every provider adapter implements: one chat completion for one catalog model, whole or
// streamed. Adding a provider is a folder in providers/ with a class implementing Provider, and a
// line in providers/registry.ts for its kind.
import type { common, inference, router } from '@keel/contracts';

export interface ProviderRequest {
  /** The catalog entry: `providerModel` is the provider's own name, `tokenizer` counts usage. */
  model: router.Model;
  messages: common.ChatMessage[];
  /** The most output tokens to generate, already checked against the model's limit. */
  maxTokens: number;
  /** Unset: the provider's default. */
  temperature?: number;
  topP?: number;
  stop: string[];
  responseFormat: inference.ResponseFormat;
  /** Tools the model may call; the model's `tools` capability was checked. */
  tools: common.Tool[];
  /** `auto` (or empty), `none`, `required`, or a tool's name. */
  toolChoice: string;
  /** Aborted when the try times out or the caller goes away: the adapter aborts its request. */
  signal: AbortSignal;
}

export interface ProviderResponse {
  text: string;
  toolCalls: common.ToolCall[];
  finishReason: inference.FinishReason;
  /** As the provider reports it, or as counted by the catalog's tokenizer (marked estimated). */
  usage: common.Usage;
}

/** One piece of a streamed answer, in the order the provider sent them. */
export type ProviderChunk =
  | { type: 'text'; text: string }
  /** A tool call whose arguments are complete. */
  | { type: 'tool_call'; toolCall: common.ToolCall }
  /** The last chunk: `usage` is undefined when the provider did not report it. */
  | { type: 'end'; finishReason: inference.FinishReason; usage: common.Usage | undefined };

export interface Provider {
  /** The configured provider's name: the `provider` field of the catalog models it serves. */
  readonly name: string;
  complete(request: ProviderRequest): Promise<ProviderResponse>;
  /**
   * The answer as it is generated. A failure before the first chunk rejects the first
   * `next()`; one after it rejects a later `next()` (a ProviderError carrying the usage the
   * provider reported, if any). Ending the iteration early (`return()`) aborts the request.
   */
  stream(request: ProviderRequest): AsyncIterable<ProviderChunk>;
}

/**
 * A provider refused or failed a call. Transient failures (timeouts, connection errors, 408,
 * 429, 5xx) are retried and, unless they say otherwise, count against the model's circuit
 * breaker; the others (any other 4xx: a bad request, a refused key) fail the attempt at once.
 */
export class ProviderError extends Error {
  readonly transient: boolean;
  /** The failure says the model is down, for every caller: it counts toward opening its circuit. */
  readonly outage: boolean;
  /** What the provider billed for the failed call, when it says (a cut-off generation). */
  readonly usage: common.Usage | undefined;
  /** The HTTP status the provider answered with; undefined when there was none. */
  readonly httpStatus: number | undefined;
  /** How long the provider asked to wait before the next try (a 429's or 503's Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: {
      transient: boolean;
      outage?: boolean;
      usage?: common.Usage;
      httpStatus?: number;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.transient = options.transient;
    this.outage = options.outage ?? options.transient;
    this.usage = options.usage;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}
