import type { router } from '@keel/contracts';
import { replaceOrInsert } from '@keel/store';
import type { Collection } from 'mongodb';
import { providerKindOfWord, providerKindWord } from '../domain/provider';

export interface ProviderDoc {
  name: string;
  /** `openai-compatible` or `anthropic`. */
  kind: string;
  base_url: string;
  /** The name of inference's environment variable holding the key; never the key. */
  secret_env: string;
  /** The path of the file inference reads the key from; never the key. */
  secret_file: string;
  /** A list, not a document: header names may hold `.`, which field names may not. */
  default_headers: { name: string; value: string }[];
  updated_at: Date;
}

export function providerDoc(provider: router.Provider): ProviderDoc {
  return {
    name: provider.name,
    kind: providerKindWord(provider.kind),
    base_url: provider.baseUrl,
    secret_env: provider.secretEnv,
    secret_file: provider.secretFile,
    default_headers: Object.entries(provider.defaultHeaders).map(([name, value]) => ({
      name,
      value,
    })),
    updated_at: provider.updatedAt ?? new Date(),
  };
}

export function providerOf(doc: ProviderDoc): router.Provider {
  return {
    name: doc.name,
    kind: providerKindOfWord(doc.kind),
    baseUrl: doc.base_url,
    secretEnv: doc.secret_env,
    secretFile: doc.secret_file,
    defaultHeaders: Object.fromEntries(doc.default_headers.map(({ name, value }) => [name, value])),
    updatedAt: doc.updated_at,
  };
}

export class ProviderStore {
  constructor(private readonly collection: Collection<ProviderDoc>) {}

  /** Creates or replaces the provider of that name. */
  async put(doc: ProviderDoc): Promise<void> {
    await replaceOrInsert(this.collection, { name: doc.name }, doc);
  }

  /** Every configured provider, by name. */
  async all(): Promise<router.Provider[]> {
    const docs = await this.collection.find({}).sort({ name: 1 }).toArray();
    return docs.map(providerOf);
  }

  async names(): Promise<Set<string>> {
    const docs = await this.collection.find({}, { projection: { name: 1 } }).toArray();
    return new Set(docs.map((doc) => doc.name));
  }
}
