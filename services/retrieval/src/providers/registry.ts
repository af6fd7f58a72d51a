// The remote embedding models: `<provider>/<model>` names an OpenAI-compatible provider of the
// router's policy snapshot and the model it serves. The API key is read from this process's
// environment or file system, where the provider's configuration says.
import fs from 'node:fs';
import { router } from '@keel/contracts';
import { Pool } from 'undici';
import type { Embedder } from '../domain/embedder';
import { OpenAiCompatibleEmbedder } from './openai-compatible/embeddings-client';

export class RemoteEmbedderRegistry {
  private providers = new Map<string, router.Provider>();
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly timeoutMs: number) {}

  update(providers: router.Provider[]): void {
    this.providers = new Map(
      providers
        .filter((p) => p.kind === router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE)
        .map((p) => [p.name, p]),
    );
  }

  embedderFor(model: string): Embedder | undefined {
    const slash = model.indexOf('/');
    if (slash <= 0 || slash === model.length - 1) return undefined;
    const provider = this.providers.get(model.slice(0, slash));
    if (!provider) return undefined;
    const origin = new URL(provider.baseUrl).origin;
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin);
      this.pools.set(origin, pool);
    }
    return new OpenAiCompatibleEmbedder(
      pool,
      {
        provider: provider.name,
        baseUrl: provider.baseUrl,
        apiKey: apiKeyOf(provider),
        defaultHeaders: provider.defaultHeaders,
      },
      model.slice(slash + 1),
      this.timeoutMs,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}

function apiKeyOf(provider: router.Provider): string | undefined {
  if (provider.secretEnv !== '') return process.env[provider.secretEnv] || undefined;
  if (provider.secretFile !== '') {
    return fs.readFileSync(provider.secretFile, 'utf8').trim() || undefined;
  }
  return undefined;
}
