// An OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, llama.cpp, Together...)
// over undici's connection pool: one JSON request per batch of texts.
import { FailedPreconditionError, UnavailableError } from '@keel/errors';
import { Pool } from 'undici';
import type { Embedder } from '../../domain/embedder';
import { normalised } from '../../domain/hashed-embedding';

export interface EmbeddingsEndpoint {
  provider: string;
  baseUrl: string;
  apiKey: string | undefined;
  defaultHeaders: Record<string, string>;
}

interface EmbeddingsAnswer {
  data: Array<{ index: number; embedding: number[] }>;
}

export class OpenAiCompatibleEmbedder implements Embedder {
  readonly cacheable = true;
  readonly model: string;
  private readonly path: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly pool: Pool,
    endpoint: EmbeddingsEndpoint,
    /** The model's name at the provider. */
    private readonly remoteModel: string,
    private readonly timeoutMs: number,
  ) {
    this.model = `${endpoint.provider}/${remoteModel}`;
    const url = new URL(endpoint.baseUrl);
    this.path = `${url.pathname.replace(/\/$/, '')}/embeddings${url.search}`;
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...endpoint.defaultHeaders,
      ...(endpoint.apiKey === undefined ? {} : { authorization: `Bearer ${endpoint.apiKey}` }),
    };
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    let answer: EmbeddingsAnswer;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: this.path,
        headers: this.headers,
        body: JSON.stringify({ model: this.remoteModel, input: texts, encoding_format: 'float' }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.statusCode >= 400) {
        const body = (await response.body.text()).slice(0, 500);
        const message = `embedding model '${this.model}' answered ${response.statusCode}: ${body}`;
        // A refused request (bad key, unknown model) will be refused again: a configuration fault.
        if (response.statusCode < 500 && response.statusCode !== 429) {
          throw new FailedPreconditionError(message);
        }
        throw new UnavailableError(message);
      }
      answer = (await response.body.json()) as EmbeddingsAnswer;
    } catch (error) {
      if (error instanceof FailedPreconditionError || error instanceof UnavailableError)
        throw error;
      throw new UnavailableError(`embedding model '${this.model}' could not be reached`, {
        cause: error,
      });
    }
    if (!Array.isArray(answer.data) || answer.data.length !== texts.length) {
      throw new UnavailableError(
        `embedding model '${this.model}' answered ${answer.data?.length ?? 0} embeddings for ${texts.length} texts`,
      );
    }
    return [...answer.data]
      .sort((a, b) => a.index - b.index)
      .map((item) => normalised(Float32Array.from(item.embedding)));
  }
}
