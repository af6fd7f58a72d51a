// Whole (not streamed) chat completions over undici's connection pool. The `openai` SDK on
// fetch spent about twice the CPU of this on every call (a Request, a cloned body stream, an
// abort signal of its own and debug details built whether logged or not), and a whole answer
// needs none of it: one JSON request, one JSON answer. Failures are said as the SDK says them
// (`<status> <the provider's message>`), so a call reads the same whichever path served it.
import type OpenAI from 'openai';
import { Pool } from 'undici';
import type { HttpProviderConfig } from '../http-config';
import { abandoned, connectionFailure, type FailureContext, statusFailure } from '../failures';
import { ProviderError } from '../../domain/provider';

export class ChatCompletionsClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly context: FailureContext;

  constructor(config: HttpProviderConfig) {
    const url = new URL(config.baseUrl);
    this.pool = new Pool(url.origin);
    this.path = `${url.pathname.replace(/\/$/, '')}/chat/completions${url.search}`;
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...config.defaultHeaders,
      ...(config.apiKey === undefined ? {} : { authorization: `Bearer ${config.apiKey}` }),
    };
    this.context = { provider: config.name, secret: config.apiKey };
  }

  /** POSTs `body` and resolves with the completion; rejects with a ProviderError. */
  async create(
    body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
    signal: AbortSignal,
  ): Promise<OpenAI.Chat.ChatCompletion> {
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: this.path,
        headers: this.headers,
        body: JSON.stringify(body),
        signal,
      });
      if (response.statusCode >= 400) {
        const text = await response.body.text();
        throw statusFailure(
          this.context,
          response.statusCode,
          headersOf(response.headers),
          sdkMessage(response.statusCode, text),
        );
      }
      return (await response.body.json()) as OpenAI.Chat.ChatCompletion;
    } catch (error) {
      if (signal.aborted) throw abandoned(this.context.provider);
      if (error instanceof ProviderError) throw error;
      throw connectionFailure(this.context, error);
    }
  }
}

/** The message the SDK's APIError has for an answer with this status and body. */
function sdkMessage(status: number, text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text ? `${status} ${text}` : `${status} status code (no body)`;
  }
  const error = (parsed as { error?: unknown } | null)?.error as { message?: unknown } | undefined;
  if (!error) return `${status} status code (no body)`;
  const message = error.message;
  if (message)
    return `${status} ${typeof message === 'string' ? message : JSON.stringify(message)}`;
  return `${status} ${JSON.stringify(error)}`;
}

function headersOf(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const each of Array.isArray(value) ? value : [value]) headers.append(name, each);
  }
  return headers;
}
