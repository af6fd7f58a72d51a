// Which adapter serves a catalog model: the one named by the model's `provider` field.
import type { Provider } from './provider';
import { SimProvider } from './sim/provider';

export type ProviderRegistry = ReadonlyMap<string, Provider>;

export interface ProviderSettings {
  simLatencyMs: number;
  simTokensPerSecond: number;
}

export function createProviderRegistry(settings: ProviderSettings): ProviderRegistry {
  const adapters: Provider[] = [
    new SimProvider({
      latencyMs: settings.simLatencyMs,
      tokensPerSecond: settings.simTokensPerSecond,
    }),
  ];
  return new Map(adapters.map((adapter) => [adapter.name, adapter]));
}
