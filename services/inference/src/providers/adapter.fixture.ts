// What the adapters' tests share: a request builder, a tool, and readers of what came back.
import { common, inference, type router } from '@keel/contracts';
import {
  type Provider,
  type ProviderChunk,
  ProviderError,
  type ProviderRequest,
} from '../domain/provider';

export const WEATHER = common.Tool.fromPartial({
  name: 'get_weather',
  description: 'The weather in a city',
  parametersJsonSchema: JSON.stringify({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
});

export const message = (role: common.MessageRole, content: string) =>
  common.ChatMessage.fromPartial({ role, content });

/** Builds requests for `model`: a short system message, then the prompt. */
export const requestsFor =
  (model: router.Model) =>
  (prompt: string, options: Partial<ProviderRequest> = {}): ProviderRequest => ({
    model,
    messages: [
      message(common.MessageRole.MESSAGE_ROLE_SYSTEM, 'You answer briefly.'),
      message(common.MessageRole.MESSAGE_ROLE_USER, prompt),
    ],
    maxTokens: 256,
    stop: [],
    responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_UNSPECIFIED,
    tools: [],
    toolChoice: '',
    signal: new AbortController().signal,
    ...options,
  });

export async function chunksOf(
  provider: Provider,
  request: ProviderRequest,
): Promise<ProviderChunk[]> {
  const chunks: ProviderChunk[] = [];
  for await (const chunk of provider.stream(request)) chunks.push(chunk);
  return chunks;
}

export function textOf(chunks: ProviderChunk[]): string {
  return chunks.map((chunk) => (chunk.type === 'text' ? chunk.text : '')).join('');
}

/** The ProviderError `work` fails with (fails the test when it succeeds). */
export function failureOf(work: Promise<unknown>): Promise<ProviderError> {
  return work.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => {
      if (!(error instanceof ProviderError)) throw error;
      return error;
    },
  );
}
