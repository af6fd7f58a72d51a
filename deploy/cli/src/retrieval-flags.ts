// The flags of a function's retrieved context and semantic cache:
//   --collection handbook --top-k 8 --max-context-tokens 2048 --filter lang=en
//   --semantic-cache-ttl 600 --semantic-cache-min-similarity 0.95
// The router checks the values; these only parse what was typed.
import type { router } from '@keel/contracts';
import { type Command, InvalidArgumentError } from 'commander';

export interface RetrievalFlags {
  collection?: string;
  topK?: number;
  maxContextTokens?: bigint;
  filter?: string[];
  semanticCacheTtl?: bigint;
  semanticCacheMinSimilarity?: number;
}

export function addRetrievalFlags(command: Command): Command {
  return command
    .option('--collection <name>', 'put passages of this collection before the messages')
    .option('--top-k <n>', 'passages retrieved before the token budget (default 5)', wholeNumber)
    .option('--max-context-tokens <n>', 'the token budget of the passages (default 1024)', (text) =>
      BigInt(wholeNumber(text)),
    )
    .option(
      '--filter <key=value>',
      'only passages whose metadata has this pair; repeatable',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option(
      '--semantic-cache-ttl <seconds>',
      'serve answers to requests close in meaning this long (1 to 86400 s)',
      (text) => BigInt(wholeNumber(text)),
    )
    .option(
      '--semantic-cache-min-similarity <x>',
      'the similarity in (0, 1] a request needs to be served a stored answer (default: see README)',
      (text: string) => {
        const value = Number(text);
        if (!Number.isFinite(value)) throw new InvalidArgumentError('not a number');
        return value;
      },
    );
}

export function retrievalOf(flags: RetrievalFlags): router.RetrievalConfig | undefined {
  const others = flags.topK !== undefined || flags.maxContextTokens !== undefined || flags.filter;
  if (flags.collection === undefined) {
    if (others)
      throw new InvalidArgumentError(
        '--top-k, --max-context-tokens and --filter need --collection',
      );
    return undefined;
  }
  const filter: Record<string, string> = {};
  for (const pair of flags.filter ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`--filter: '${pair}' is not key=value`);
    filter[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    collection: flags.collection,
    topK: flags.topK ?? 0,
    maxContextTokens: flags.maxContextTokens ?? 0n,
    filter,
  };
}

export function semanticCacheOf(flags: RetrievalFlags): router.SemanticCachePolicy | undefined {
  if (flags.semanticCacheTtl === undefined) {
    if (flags.semanticCacheMinSimilarity !== undefined) {
      throw new InvalidArgumentError('--semantic-cache-min-similarity needs --semantic-cache-ttl');
    }
    return undefined;
  }
  return {
    minSimilarity: flags.semanticCacheMinSimilarity ?? 0,
    ttl: { seconds: flags.semanticCacheTtl, nanos: 0 },
  };
}

function wholeNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('not a whole number');
  return Number(text);
}
