// The Keel command-line client: tenants, keys, functions, providers, models and completions over
// real gRPC; dead letters over NATS.
import { Command, Option } from 'commander';
import type { ServiceError } from '@grpc/grpc-js';
import { common, inference, router } from '@keel/contracts';
import { call, inferenceClient, routerClient } from '@keel/kit';
import { addBudgetCommands } from './budgets';
import { addDatasetCommands } from './datasets';
import { addDeadLetterCommands } from './deadletters';
import { addEvalCommands } from './evals';
import { addUsageCommands } from './usage';
import {
  type EvaluatorFlags,
  addEvaluatorFlags,
  evaluatorsOf,
  serviceLevelOf,
} from './evaluator-flags';
import { expiryOf } from './expiry';
import { addFeedbackCommand } from './feedback';
import { adminKey, tenantKey } from './keys';
import { addCatalogCommands } from './prices';
import { addRetrievalCommands } from './retrieval';
import { addModelCommands, addProviderCommands } from './providers';
import {
  type RetrievalFlags,
  addRetrievalFlags,
  retrievalOf,
  semanticCacheOf,
} from './retrieval-flags';
import {
  type FunctionSettingFlags,
  addSettingFlags,
  addTenantSettingsCommand,
  cacheOf,
  guardrailsOf,
  rateLimitOf,
} from './settings';

const program = new Command('keel')
  .description('Command-line client of Keel')
  .addOption(
    new Option('--router <address>', 'router gRPC address')
      .env('KEEL_ROUTER_ADDR')
      .default('127.0.0.1:50052'),
  )
  .addOption(
    new Option('--inference <address>', 'inference gRPC address')
      .env('KEEL_INFERENCE_ADDR')
      .default('127.0.0.1:50051'),
  )
  .option('--admin-key <key>', 'admin API key (else KEEL_ADMIN_KEY, else the local bootstrap key)')
  .option('--key <key>', 'tenant API key (else KEEL_API_KEY)');

type GlobalOptions = { router: string; inference: string; adminKey?: string; key?: string };
const globals = () => program.opts<GlobalOptions>();

function parseScopes(text: string): router.ApiKeyScope[] {
  return text.split(',').map((name) => {
    const scope = router.apiKeyScopeFromJSON(`API_KEY_SCOPE_${name.trim().toUpperCase()}`);
    if (
      scope === router.ApiKeyScope.UNRECOGNIZED ||
      scope === router.ApiKeyScope.API_KEY_SCOPE_UNSPECIFIED
    ) {
      throw new Error(`unknown scope '${name}' (inference, feedback, analytics, admin)`);
    }
    return scope;
  });
}

function scopeNames(scopes: router.ApiKeyScope[]): string {
  return scopes
    .map((s) => router.apiKeyScopeToJSON(s).replace('API_KEY_SCOPE_', '').toLowerCase())
    .join(',');
}

function formatNanoUsd(nano: bigint): string {
  const dollars = `${nano / 1_000_000_000n}.${(nano % 1_000_000_000n).toString().padStart(9, '0')}`;
  return `${nano} nano-USD ($${dollars})`;
}

const tenant = program.command('tenant').description('manage tenants');
tenant
  .command('create <name>')
  .description('create a tenant; prints its first API key as the last line')
  .option('--scopes <list>', 'scopes of the first key', 'inference,feedback,analytics')
  .option('--idempotency-key <key>', 'retrying with the same key returns the same tenant')
  .action(async (name: string, options: { scopes: string; idempotencyKey?: string }) => {
    const client = routerClient(globals().router);
    const reply = await call<router.CreateTenantResponse>(
      adminKey(globals().adminKey),
      (metadata, callback) =>
        client.createTenant(
          router.CreateTenantRequest.fromPartial({
            name,
            idempotencyKey: options.idempotencyKey ?? '',
            keyScopes: parseScopes(options.scopes),
          }),
          metadata,
          callback,
        ),
    );
    console.log(`tenant ${reply.tenant?.tenantId} (${reply.tenant?.name})`);
    console.log(`default function: ${reply.tenant?.defaultFunctionName}`);
    console.log(`key ${reply.apiKey?.keyId} scopes: ${scopeNames(reply.apiKey?.scopes ?? [])}`);
    console.log(
      reply.apiKeySecret || '(an earlier request created this tenant; its key is not shown again)',
    );
  });

const key = program.command('key').description('manage API keys');
key
  .command('create')
  .description('create an API key; prints it as the last line')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--scopes <list>', 'scopes', 'inference')
  .addOption(
    new Option(
      '--expires-in <duration>',
      'the key stops working after this long: 90s, 30m, 12h, 7d',
    ).conflicts('expiresAt'),
  )
  .option('--expires-at <iso>', 'the key stops working at this time, e.g. 2027-01-31T00:00:00Z')
  .action(
    async (options: { tenant: string; scopes: string; expiresIn?: string; expiresAt?: string }) => {
      const expiresAt = expiryOf(options, new Date());
      const client = routerClient(globals().router);
      const reply = await call<router.CreateApiKeyResponse>(
        adminKey(globals().adminKey),
        (metadata, callback) =>
          client.createApiKey(
            router.CreateApiKeyRequest.fromPartial({
              tenantId: options.tenant,
              scopes: parseScopes(options.scopes),
              expiresAt,
            }),
            metadata,
            callback,
          ),
      );
      const expiry = reply.apiKey?.expiresAt
        ? ` expires ${reply.apiKey.expiresAt.toISOString()}`
        : '';
      console.log(
        `key ${reply.apiKey?.keyId} scopes: ${scopeNames(reply.apiKey?.scopes ?? [])}${expiry}`,
      );
      console.log(reply.apiKeySecret);
    },
  );
key
  .command('revoke <keyId>')
  .description('revoke an API key')
  .action(async (keyId: string) => {
    const client = routerClient(globals().router);
    const reply = await call<router.RevokeApiKeyResponse>(
      adminKey(globals().adminKey),
      (metadata, callback) => client.revokeApiKey({ keyId }, metadata, callback),
    );
    console.log(`revoked ${keyId} (keys snapshot ${reply.keysVersion})`);
  });

const functionCommand = program
  .command('function')
  .description(
    'create or replace a function with one variant, its guardrails, rate limit, cache, evaluators and service level',
  )
  .argument('<name>', 'function name, e.g. support.answer')
  .requiredOption('--tenant <id>', 'tenant id')
  .requiredOption('--models <list>', 'model chain: the first model, then fallbacks')
  .option('--variant <name>', 'variant name', 'default')
  .option('--max-tokens <n>', 'default max tokens', '512')
  .option('--default', "make it the tenant's default function", false);
addRetrievalFlags(addEvaluatorFlags(addSettingFlags(functionCommand, { cache: true }))).action(
  async (
    name: string,
    options: {
      tenant: string;
      models: string;
      variant: string;
      maxTokens: string;
      default: boolean;
    } & FunctionSettingFlags &
      EvaluatorFlags &
      RetrievalFlags,
  ) => {
    const client = routerClient(globals().router);
    const reply = await call<router.PutFunctionResponse>(
      adminKey(globals().adminKey),
      (metadata, callback) =>
        client.putFunction(
          router.PutFunctionRequest.fromPartial({
            tenantId: options.tenant,
            functionName: name,
            variants: [
              {
                variantName: options.variant,
                modelChain: options.models.split(','),
                defaultMaxTokens: Number(options.maxTokens),
              },
            ],
            policy: { fixed: { variantName: options.variant } },
            makeDefault: options.default,
            guardrails: guardrailsOf(options),
            rateLimit: rateLimitOf(options),
            cache: cacheOf(options),
            evaluators: evaluatorsOf(options),
            serviceLevel: serviceLevelOf(options),
            retrieval: retrievalOf(options),
            semanticCache: semanticCacheOf(options),
          }),
          metadata,
          callback,
        ),
    );
    console.log(
      `function ${reply.function?.functionName} → variant ${options.variant} (policy snapshot ${reply.policyVersion})`,
    );
  },
);

program
  .command('route')
  .description('show the routing decision for a function')
  .option('--function <name>', 'function name (default: the tenant default)', '')
  .option('--model <name>', 'pin a model', '')
  .action(async (options: { function: string; model: string }) => {
    const client = routerClient(globals().router);
    const reply = await call<router.RouteResponse>(tenantKey(globals().key), (metadata, callback) =>
      client.route(
        router.RouteRequest.fromPartial({
          functionName: options.function,
          model: options.model,
        }),
        metadata,
        callback,
      ),
    );
    console.log(reply.decision?.explanation);
  });

program
  .command('complete <prompt>')
  .description('send one Complete request and print the answer, usage and cost')
  .option('--function <name>', 'function name (default: the tenant default)', '')
  .option('--model <name>', 'pin a model', '')
  .option('--max-tokens <n>', 'most output tokens', '0')
  .option('--system <text>', 'a system message before the prompt')
  .action(
    async (
      prompt: string,
      options: { function: string; model: string; maxTokens: string; system?: string },
    ) => {
      const client = inferenceClient(globals().inference);
      const messages: common.ChatMessage[] = [];
      if (options.system)
        messages.push(
          common.ChatMessage.fromPartial({
            role: common.MessageRole.MESSAGE_ROLE_SYSTEM,
            content: options.system,
          }),
        );
      messages.push(
        common.ChatMessage.fromPartial({
          role: common.MessageRole.MESSAGE_ROLE_USER,
          content: prompt,
        }),
      );
      const reply = await call<inference.CompleteResponse>(
        tenantKey(globals().key),
        (metadata, callback) =>
          client.complete(
            inference.CompleteRequest.fromPartial({
              functionName: options.function,
              messages,
              model: options.model,
              maxTokens: Number(options.maxTokens),
            }),
            metadata,
            callback,
          ),
      );
      console.log(reply.text);
      console.log('');
      console.log(
        `model:     ${reply.model} (function ${reply.functionName}, variant ${reply.variantName})`,
      );
      console.log(
        `usage:     ${reply.usage?.inputTokens} input + ${reply.usage?.outputTokens} output tokens`,
      );
      console.log(`cost:      ${formatNanoUsd(reply.costNanoUsd)}`);
      console.log(`inference: ${reply.inferenceId}`);
    },
  );

const connection = { router: () => globals().router, adminKey: () => adminKey(globals().adminKey) };
addTenantSettingsCommand(tenant, connection);
addProviderCommands(program, connection);
addModelCommands(program, connection);
addCatalogCommands(program, connection);
addBudgetCommands(program, connection);
addDeadLetterCommands(program);
addEvalCommands(program, () => tenantKey(globals().key));
addUsageCommands(program, {
  // An operator without a tenant key reads reports with the admin key.
  report: () => globals().key ?? process.env.KEEL_API_KEY ?? adminKey(globals().adminKey),
  admin: () => adminKey(globals().adminKey),
});
addDatasetCommands(program, {
  ...connection,
  apiKey: () => tenantKey(globals().key),
});
addFeedbackCommand(program, () => tenantKey(globals().key));
addRetrievalCommands(program, {
  retrieval: () => process.env.KEEL_RETRIEVAL_ADDR ?? '127.0.0.1:50053',
  key: () => globals().key ?? process.env.KEEL_API_KEY ?? adminKey(globals().adminKey),
});

program.parseAsync().then(
  () => process.exit(0),
  (error: unknown) => {
    const grpcError = error as Partial<ServiceError>;
    const message = grpcError.details ?? (error instanceof Error ? error.message : String(error));
    console.error(`keel: ${message}`);
    process.exit(1);
  },
);
