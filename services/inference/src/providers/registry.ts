// Which adapter serves a catalog model: the one named by the model's `provider` field. The
// operator's providers come with the policy snapshot; `sim` is always there, in-process.
// Each provider's adapter is built once per configuration and kept, with its connections.
import { readFileSync } from 'node:fs';
import { router } from '@keel/contracts';
import { AnthropicProvider } from './anthropic/provider';
import { misconfigured } from './failures';
import type { HttpProviderConfig } from './http-config';
import { OpenAiCompatibleProvider } from './openai-compatible/provider';
import type { Provider, ProviderChunk, ProviderResponse } from '../domain/provider';
import { SimProvider } from './sim/provider';

const { ProviderKind } = router;

export interface ProviderSettings {
  simLatencyMs: number;
  simTokensPerSecond: number;
}

export class ProviderRegistry {
  /** Each configured provider's adapter, with the configuration it was built from. */
  private readonly built = new Map<string, { configuration: string; adapter: Provider }>();
  private readonly sim: SimProvider;

  constructor(
    private readonly settings: ProviderSettings,
    providers: router.Provider[] = [],
  ) {
    this.sim = new SimProvider(simOptions(settings, 'sim'));
    this.update(providers);
  }

  /** The adapter of the provider named `name`; undefined when no such provider is configured. */
  get(name: string): Provider | undefined {
    return this.built.get(name)?.adapter ?? (name === 'sim' ? this.sim : undefined);
  }

  /**
   * Takes the snapshot's providers: a new or changed one gets a new adapter (its secret read
   * again: putting a provider again picks up a rotated secret file), an unchanged one keeps its
   * adapter and connections, and one no longer listed is dropped. A provider the operator names
   * `sim` takes the place of the built-in one.
   */
  update(providers: router.Provider[]): void {
    const listed = new Set(providers.map((provider) => provider.name));
    for (const name of this.built.keys()) if (!listed.has(name)) this.built.delete(name);
    for (const provider of providers) {
      const configuration = JSON.stringify(router.Provider.toJSON(provider));
      if (this.built.get(provider.name)?.configuration === configuration) continue;
      this.built.set(provider.name, { configuration, adapter: this.adapterOf(provider) });
    }
  }

  private adapterOf(provider: router.Provider): Provider {
    const { name } = provider;
    if (provider.kind === ProviderKind.PROVIDER_KIND_SIM) {
      return new SimProvider(simOptions(this.settings, name));
    }
    if (
      provider.kind !== ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE &&
      provider.kind !== ProviderKind.PROVIDER_KIND_ANTHROPIC
    ) {
      return new UnusableProvider(name, 'its kind is not set');
    }
    const secret = secretOf(provider);
    if ('problem' in secret) return new UnusableProvider(name, secret.problem);
    const config: HttpProviderConfig = {
      name,
      baseUrl: provider.baseUrl,
      apiKey: secret.apiKey,
      defaultHeaders: provider.defaultHeaders,
    };
    return provider.kind === ProviderKind.PROVIDER_KIND_ANTHROPIC
      ? new AnthropicProvider(config)
      : new OpenAiCompatibleProvider(config);
  }
}

export function createProviderRegistry(
  providers: router.Provider[],
  settings: ProviderSettings,
): ProviderRegistry {
  return new ProviderRegistry(settings, providers);
}

function simOptions(settings: ProviderSettings, name: string) {
  return { name, latencyMs: settings.simLatencyMs, tokensPerSecond: settings.simTokensPerSecond };
}

/**
 * The provider's API key, from the inference process's environment or a file it can read;
 * undefined when the provider names neither. A problem names the variable or the file, never
 * what it holds.
 */
function secretOf(provider: router.Provider): { apiKey: string | undefined } | { problem: string } {
  const { secretEnv, secretFile } = provider;
  if (secretEnv && secretFile) return { problem: 'sets both secret_env and secret_file' };
  if (secretEnv) {
    const value = process.env[secretEnv];
    return value ? { apiKey: value } : { problem: `environment variable ${secretEnv} is not set` };
  }
  if (secretFile) {
    let value: string;
    try {
      value = readFileSync(secretFile, 'utf8').trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { problem: `secret file ${secretFile} cannot be read (${code})` };
    }
    return value ? { apiKey: value } : { problem: `secret file ${secretFile} is empty` };
  }
  return { apiKey: undefined };
}

/** A provider whose configuration cannot work: every call fails at once, and is not retried. */
class UnusableProvider implements Provider {
  constructor(
    readonly name: string,
    private readonly problem: string,
  ) {}

  complete(): Promise<ProviderResponse> {
    return Promise.reject(misconfigured(this.name, this.problem));
  }

  // eslint-disable-next-line require-yield -- it fails before any chunk
  async *stream(): AsyncGenerator<ProviderChunk> {
    throw misconfigured(this.name, this.problem);
  }
}
