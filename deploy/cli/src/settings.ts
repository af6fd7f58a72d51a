// The flags of a function's or a tenant's guardrails, rate limit and cache, and the
// `keel tenant settings` command. A part is sent only when one of its flags is given, so an
// unset part stays unset (off) rather than becoming zero.
import { router } from '@keel/contracts';
import { call, routerClient } from '@keel/kit';
import { type Command, InvalidArgumentError, Option } from 'commander';

interface Connection {
  router: () => string;
  adminKey: () => string;
}

export interface GuardrailFlags {
  maxInputTokens?: bigint;
  maxMessages?: number;
  maxOutputTokens?: number;
  /** true: every type; a list: those types. */
  redactPii?: true | string;
  redactUpstream?: boolean;
  safetyInput?: string;
  safetyOutput?: string;
  safetyCategories?: string;
  fallback?: string;
  rpm?: bigint;
  tpm?: bigint;
}

export interface FunctionSettingFlags extends GuardrailFlags {
  cacheTtl?: bigint;
}

const ACTIONS: Record<string, router.SafetyAction> = {
  flag: router.SafetyAction.SAFETY_ACTION_FLAG,
  block: router.SafetyAction.SAFETY_ACTION_BLOCK,
};

/** Adds the guardrail and rate-limit flags (and, for a function, `--cache-ttl`). */
export function addSettingFlags(command: Command, options: { cache: boolean }): Command {
  command
    .option('--max-input-tokens <n>', 'refuse requests with more input tokens', bigintArg)
    .option('--max-messages <n>', 'refuse requests with more messages', intArg)
    .option('--max-output-tokens <n>', 'refuse requests asking for more max_tokens', intArg)
    .option(
      '--redact-pii [types]',
      'redact personal data: every type, or a list (email_address,phone_number,credit_card,us_ssn,ip_address,person)',
    )
    .option('--redact-upstream', 'also send the redacted messages to the provider')
    .addOption(
      new Option('--safety-input <action>', 'check the input for unsafe content').choices(
        Object.keys(ACTIONS),
      ),
    )
    .addOption(
      new Option('--safety-output <action>', 'check the output for unsafe content').choices(
        Object.keys(ACTIONS),
      ),
    )
    .option(
      '--safety-categories <list>',
      'the categories checked (default every one), e.g. hate,violence,self_harm',
    )
    .option('--fallback <text>', 'answer this instead of an error when blocked or all models fail')
    .option('--rpm <n>', 'requests per minute (0: no limit)', bigintArg)
    .option('--tpm <n>', 'tokens per minute (0: no limit)', bigintArg);
  if (options.cache) {
    command.option('--cache-ttl <seconds>', 'cache answers this long (1 to 86400 s)', bigintArg);
  }
  return command;
}

/** The guardrails the flags name, or undefined when none was given. */
export function guardrailsOf(flags: GuardrailFlags): router.Guardrails | undefined {
  const limitsSet =
    flags.maxInputTokens !== undefined ||
    flags.maxMessages !== undefined ||
    flags.maxOutputTokens !== undefined;
  const piiSet = flags.redactPii !== undefined || flags.redactUpstream === true;
  const safetySet =
    flags.safetyInput !== undefined ||
    flags.safetyOutput !== undefined ||
    flags.safetyCategories !== undefined;
  const guardrails: router.Guardrails = {
    limits: limitsSet
      ? {
          maxInputTokens: flags.maxInputTokens ?? 0n,
          maxMessages: flags.maxMessages ?? 0,
          maxOutputTokens: flags.maxOutputTokens ?? 0,
        }
      : undefined,
    pii: piiSet
      ? {
          types:
            typeof flags.redactPii === 'string'
              ? enumList('--redact-pii', flags.redactPii, 'PII_TYPE_', router.piiTypeFromJSON)
              : [],
          redactUpstream: flags.redactUpstream === true,
        }
      : undefined,
    contentSafety: safetySet
      ? {
          inputAction: flags.safetyInput ? ACTIONS[flags.safetyInput] : 0,
          outputAction: flags.safetyOutput ? ACTIONS[flags.safetyOutput] : 0,
          categories: flags.safetyCategories
            ? enumList(
                '--safety-categories',
                flags.safetyCategories,
                'SAFETY_CATEGORY_',
                router.safetyCategoryFromJSON,
              )
            : [],
        }
      : undefined,
    fallback: flags.fallback !== undefined ? { text: flags.fallback } : undefined,
  };
  return Object.values(guardrails).some((part) => part !== undefined) ? guardrails : undefined;
}

export function rateLimitOf(flags: GuardrailFlags): router.RateLimit | undefined {
  if (flags.rpm === undefined && flags.tpm === undefined) return undefined;
  return { requestsPerMinute: flags.rpm ?? 0n, tokensPerMinute: flags.tpm ?? 0n };
}

export function cacheOf(flags: FunctionSettingFlags): router.CachePolicy | undefined {
  return flags.cacheTtl === undefined ? undefined : { ttl: { seconds: flags.cacheTtl, nanos: 0 } };
}

/** `keel tenant settings`: replaces a tenant's default guardrails and rate limit. */
export function addTenantSettingsCommand(tenant: Command, connection: Connection): void {
  const command = tenant
    .command('settings')
    .description(
      "replace a tenant's default guardrails and its rate limit (flags not given are unset)",
    )
    .option('--tenant <id>', "tenant id (default: the admin key's own)");
  addSettingFlags(command, { cache: false }).action(
    async (options: GuardrailFlags & { tenant?: string }) => {
      const client = routerClient(connection.router());
      const reply = await call<router.PutTenantSettingsResponse>(
        connection.adminKey(),
        (metadata, callback) =>
          client.putTenantSettings(
            {
              tenantId: options.tenant ?? '',
              settings: { guardrails: guardrailsOf(options), rateLimit: rateLimitOf(options) },
            },
            metadata,
            callback,
          ),
      );
      console.log(
        `settings ${JSON.stringify(router.TenantSettings.toJSON(reply.settings!))} (policy snapshot ${reply.policyVersion})`,
      );
    },
  );
}

function enumList<E extends number>(
  flag: string,
  text: string,
  prefix: string,
  fromJSON: (name: string) => E,
): E[] {
  return text.split(',').map((word) => {
    const value = fromJSON(`${prefix}${word.trim().toUpperCase()}`);
    if (value <= 0) throw new InvalidArgumentError(`${flag}: unknown value '${word}'`);
    return value;
  });
}

function intArg(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('not a whole number');
  return Number(text);
}

function bigintArg(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('not a whole number');
  return BigInt(text);
}
