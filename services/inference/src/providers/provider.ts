// What every provider adapter implements: one chat completion for one catalog model. Adding a
// provider is a folder beside sim/ with a class implementing Provider, and a line in registry.ts.
import type { common, router } from '@keel/contracts';

export interface ProviderRequest {
  /** The catalog entry: `providerModel` is the provider's own name, `tokenizer` counts usage. */
  model: router.Model;
  messages: common.ChatMessage[];
  /** The most output tokens to generate, already checked against the model's limit. */
  maxTokens: number;
  /** Aborted when the attempt times out: an adapter stops waiting and rejects. */
  signal: AbortSignal;
}

export interface ProviderResponse {
  text: string;
  /** As the provider reports it, or as counted by the catalog's tokenizer. */
  usage: common.Usage;
}

export interface Provider {
  /** The `provider` field of the catalog models this adapter serves (`sim`, `openai`...). */
  readonly name: string;
  complete(request: ProviderRequest): Promise<ProviderResponse>;
}

/**
 * A provider refused or failed a call. Transient failures (rate limits, 5xx, overload) are
 * retried and, unless they say otherwise, count against the model's circuit breaker; the
 * others (a bad request, a refused key) fail the attempt at once.
 */
export class ProviderError extends Error {
  readonly transient: boolean;
  /** The failure says the model is down, for every caller: it counts toward opening its circuit. */
  readonly outage: boolean;
  /** What the provider billed for the failed call, when it says (a cut-off generation). */
  readonly usage: common.Usage | undefined;

  constructor(
    message: string,
    options: { transient: boolean; outage?: boolean; usage?: common.Usage; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.transient = options.transient;
    this.outage = options.outage ?? options.transient;
    this.usage = options.usage;
  }
}
