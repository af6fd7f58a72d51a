// `keel provider` and `keel model`: the operator's providers (where inference sends a model's
// calls, and where it finds the key) and catalog models (what a model is and costs).
import { nanoUsd } from '@keel/catalog';
import { router } from '@keel/contracts';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { call, routerClient } from '@keel/kit';

interface Connection {
  router: () => string;
  adminKey: () => string;
}

const KINDS: Record<string, router.ProviderKind> = {
  'openai-compatible': router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
  anthropic: router.ProviderKind.PROVIDER_KIND_ANTHROPIC,
};
const KIND_WORDS = new Map<router.ProviderKind, string>([
  [router.ProviderKind.PROVIDER_KIND_SIM, 'sim (built in)'],
  ...Object.entries(KINDS).map(([word, kind]): [router.ProviderKind, string] => [kind, word]),
]);
const TIERS: Record<string, router.ModelTier> = {
  small: router.ModelTier.MODEL_TIER_SMALL,
  medium: router.ModelTier.MODEL_TIER_MEDIUM,
  large: router.ModelTier.MODEL_TIER_LARGE,
};

export function addProviderCommands(program: Command, connection: Connection): void {
  const provider = program
    .command('provider')
    .description("configure the providers inference calls (operator's admin key)");

  provider
    .command('put <name>')
    .description('create or replace a provider; the key stays in inference’s environment or files')
    .addOption(
      new Option('--kind <kind>', 'the API it speaks')
        .choices(Object.keys(KINDS))
        .makeOptionMandatory(),
    )
    .requiredOption('--base-url <url>', 'e.g. https://api.openai.com/v1')
    .addOption(
      new Option(
        '--secret-env <var>',
        "the inference process's environment variable holding the API key, e.g. OPENAI_API_KEY",
      ).conflicts('secretFile'),
    )
    .option('--secret-file <path>', 'an absolute path, readable by inference, of a file holding it')
    .option(
      '--header <name=value>',
      'a header sent with every request (repeatable)',
      collectHeader,
      {},
    )
    .action(
      async (
        name: string,
        options: {
          kind: string;
          baseUrl: string;
          secretEnv?: string;
          secretFile?: string;
          header: Record<string, string>;
        },
      ) => {
        const client = routerClient(connection.router());
        const reply = await call<router.PutProviderResponse>(
          connection.adminKey(),
          (metadata, callback) =>
            client.putProvider(
              {
                provider: router.Provider.fromPartial({
                  name,
                  kind: KINDS[options.kind],
                  baseUrl: options.baseUrl,
                  secretEnv: options.secretEnv ?? '',
                  secretFile: options.secretFile ?? '',
                  defaultHeaders: options.header,
                }),
              },
              metadata,
              callback,
            ),
        );
        const stored = reply.provider!;
        console.log(`provider ${stored.name} (${KIND_WORDS.get(stored.kind)}) ${stored.baseUrl}`);
        console.log(`key:      ${secretSource(stored)}`);
        console.log(`policy snapshot ${reply.policyVersion}`);
      },
    );

  provider
    .command('list')
    .description('print every provider: the built-in sim, then the configured ones')
    .action(async () => {
      const client = routerClient(connection.router());
      const reply = await call<router.ListProvidersResponse>(
        connection.adminKey(),
        (metadata, callback) => client.listProviders({}, metadata, callback),
      );
      const rows = reply.providers.map((p) => [
        p.name,
        KIND_WORDS.get(p.kind) ?? String(p.kind),
        p.baseUrl || '-',
        secretSource(p),
        Object.entries(p.defaultHeaders)
          .map(([header, value]) => `${header}=${value}`)
          .join(' ') || '-',
      ]);
      console.log(table([['NAME', 'KIND', 'BASE URL', 'KEY', 'HEADERS'], ...rows]));
    });
}

export function addModelCommands(program: Command, connection: Connection): void {
  const model = program
    .command('model')
    .description("add models to the catalog (operator's admin key)");

  model
    .command('put <name>')
    .description(
      'add or replace a catalog model, publishing a new catalog version; its provider must be configured',
    )
    .requiredOption('--provider <name>', 'the provider serving it (sim or one from `provider put`)')
    .requiredOption('--provider-model <id>', "the provider's name for it, e.g. gpt-4o-mini")
    .requiredOption('--context-window <tokens>', 'tokens of input and output together', tokens)
    .requiredOption('--max-output-tokens <tokens>', 'the most tokens one answer may have', tokens)
    .requiredOption('--input-usd-per-mtok <usd>', 'USD per million input tokens, e.g. 0.15', usd)
    .requiredOption('--output-usd-per-mtok <usd>', 'USD per million output tokens', usd)
    .option(
      '--cached-input-usd-per-mtok <usd>',
      'USD per million cached input tokens (default: the input price)',
      usd,
    )
    .option(
      '--cache-write-usd-per-mtok <usd>',
      'USD per million input tokens written to the prompt cache (default: the input price)',
      usd,
    )
    .option(
      '--reasoning-usd-per-mtok <usd>',
      'USD per million reasoning tokens (default: the output price)',
      usd,
    )
    .option(
      '--effective-at <time>',
      'when the change takes effect, ISO 8601, e.g. 2026-01-01T00:00:00Z (default: now)',
      instant,
    )
    .addOption(
      new Option('--tier <tier>', 'size class').choices(Object.keys(TIERS)).default('medium'),
    )
    .option('--tokenizer <name>', "o200k_base, cl100k_base, or '' to estimate counts", '')
    .option(
      '--capability <word>',
      'streaming, tools, json_mode or vision (repeatable)',
      collect,
      [],
    )
    .action(
      async (
        name: string,
        options: {
          provider: string;
          providerModel: string;
          contextWindow: bigint;
          maxOutputTokens: bigint;
          inputUsdPerMtok: bigint;
          outputUsdPerMtok: bigint;
          cachedInputUsdPerMtok?: bigint;
          cacheWriteUsdPerMtok?: bigint;
          reasoningUsdPerMtok?: bigint;
          effectiveAt?: Date;
          tier: string;
          tokenizer: string;
          capability: string[];
        },
      ) => {
        const client = routerClient(connection.router());
        const reply = await call<router.PutModelResponse>(
          connection.adminKey(),
          (metadata, callback) =>
            client.putModel(
              {
                model: router.Model.fromPartial({
                  name,
                  provider: options.provider,
                  providerModel: options.providerModel,
                  tier: TIERS[options.tier],
                  contextWindow: options.contextWindow,
                  maxOutputTokens: options.maxOutputTokens,
                  price: {
                    inputNanoUsdPerMtok: options.inputUsdPerMtok,
                    outputNanoUsdPerMtok: options.outputUsdPerMtok,
                    cachedInputNanoUsdPerMtok:
                      options.cachedInputUsdPerMtok ?? options.inputUsdPerMtok,
                    cacheWriteNanoUsdPerMtok: options.cacheWriteUsdPerMtok,
                    reasoningNanoUsdPerMtok: options.reasoningUsdPerMtok,
                  },
                  tokenizer: options.tokenizer,
                  capabilities: options.capability,
                }),
                effectiveAt: options.effectiveAt,
              },
              metadata,
              callback,
            ),
        );
        const catalog = reply.catalog!;
        const stored = catalog.models.find((m) => m.name === name)!;
        console.log(
          `model ${stored.name} (${stored.provider} ${stored.providerModel}) in catalog version ${catalog.version}`,
        );
        if (catalog.effectiveAt) console.log(`effective at ${catalog.effectiveAt.toISOString()}`);
        console.log(
          `price:  ${stored.price?.inputNanoUsdPerMtok} input, ${stored.price?.outputNanoUsdPerMtok} output, ` +
            `${stored.price?.cachedInputNanoUsdPerMtok} cached input nano-USD per million tokens`,
        );
      },
    );
}

function secretSource(provider: router.Provider): string {
  if (provider.secretEnv) return `$${provider.secretEnv}`;
  if (provider.secretFile) return provider.secretFile;
  return '-';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectHeader(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected name=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function tokens(value: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError('expected a whole number of tokens');
  return BigInt(value);
}

/** A time as ISO 8601 with its zone (`2026-01-01T00:00:00Z`). */
export function instant(value: string): Date {
  const at = new Date(value);
  if (!/(Z|[+-]\d\d:\d\d)$/.test(value) || Number.isNaN(at.getTime())) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 time with its zone, e.g. 2026-01-01T00:00:00Z',
    );
  }
  return at;
}

/** Dollars as typed (`0.075`), converted exactly to nano-USD: no floating point on the way. */
function usd(value: string): bigint {
  try {
    return nanoUsd(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
