// What an HTTP adapter is built from: the operator's provider configuration, its secret read.

export interface HttpProviderConfig {
  /** The provider's configured name: the `provider` of the catalog models it serves. */
  name: string;
  baseUrl: string;
  /** The API key; undefined for a provider that needs none. Never logged nor quoted. */
  apiKey: string | undefined;
  /** Sent with every request, as the operator configured them. */
  defaultHeaders: Record<string, string>;
}

/**
 * The SDKs' own timeout, set only so that it never decides: the caller's signal bounds each
 * call. (Left unset, Anthropic's SDK refuses a non-streamed call with a large max_tokens.)
 */
export const SDK_TIMEOUT_MS = 60 * 60 * 1000;
