// The exact cache's key: what makes two requests of one tenant's function the same question,
// hashed (SHA-256) over a canonical JSON encoding. Everything that changes the answer is in it:
// the routed variant's content and the chain's models, the guardrails, the normalised messages
// and the generation parameters. Tags, episode and idempotency key change nothing and are not.
import { createHash } from 'node:crypto';
import { type common, type inference, router } from '@keel/contracts';
import { configure } from 'safe-stable-stringify';

/** Sorted object keys, bigints as numbers: the same value always encodes to the same text. */
const canonical = configure({ bigint: true, deterministic: true });

/** What of the request the key reads; Complete and Stream requests carry the same fields. */
export type CacheKeyRequest = Pick<
  inference.CompleteRequest,
  'messages' | 'model' | 'temperature' | 'topP' | 'stop' | 'responseFormat' | 'tools' | 'toolChoice'
>;

/** What routing decided, as the key needs it. */
export interface CacheKeyRoute {
  tenantId: string;
  functionName: string;
  /** The variant that runs, as the policy snapshot holds it. */
  variant: router.Variant;
  /** The models that may serve, in order, after the request's capability needs narrowed them. */
  chain: router.Model[];
  /** The max_tokens the models are asked for (the request's, else the variant's default). */
  maxTokens: number;
  /** The guardrails in force: the function's own parts and the tenant's defaults. */
  guardrails: { function?: router.Guardrails; tenant?: router.Guardrails };
}

export interface CacheKey {
  /** The KV key: `<tenant>.<function hash>.<request hash>`, all valid KV tokens. */
  storeKey: string;
  /** The request hash (SHA-256, hex). */
  digest: string;
}

// Bumped when the key's material changes meaning, so old entries are never read as new ones.
const KEY_SCHEME = 1;

/** A tenant id made only of KV-token characters is used as is; any other is hashed. */
const PLAIN_TENANT = /^[A-Za-z0-9_-]{1,128}$/;

export function cacheKey(route: CacheKeyRoute, request: CacheKeyRequest): CacheKey {
  const material = {
    scheme: KEY_SCHEME,
    tenant: route.tenantId,
    function: route.functionName,
    // The whole variant, so a field added to Variant later is in the key without a change here.
    variant: router.Variant.toJSON(route.variant),
    chain: route.chain.map((model) => [model.name, model.provider, model.providerModel]),
    guardrails: {
      function: route.guardrails.function && router.Guardrails.toJSON(route.guardrails.function),
      tenant: route.guardrails.tenant && router.Guardrails.toJSON(route.guardrails.tenant),
    },
    messages: request.messages.map(normalisedMessage),
    model: request.model,
    maxTokens: route.maxTokens,
    temperature: request.temperature ?? null,
    topP: request.topP ?? null,
    stop: request.stop,
    responseFormat: request.responseFormat,
    tools: request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      schema: canonicalJson(tool.parametersJsonSchema),
    })),
    toolChoice: request.toolChoice === 'auto' ? '' : request.toolChoice,
  };
  const digest = sha256(canonical(material) ?? '');
  const tenant = PLAIN_TENANT.test(route.tenantId)
    ? route.tenantId
    : `h${sha256(route.tenantId).slice(0, 32)}`;
  return { storeKey: `${tenant}.${sha256(route.functionName).slice(0, 16)}.${digest}`, digest };
}

/**
 * A message as the key sees it: trailing whitespace of the content dropped (it does not change
 * the question), JSON arguments of tool calls in canonical form (key order does not either).
 */
function normalisedMessage(message: common.ChatMessage) {
  return {
    role: message.role,
    content: message.content.trimEnd(),
    toolCalls: message.toolCalls.map((call) => ({
      id: call.id,
      name: call.name,
      arguments: canonicalJson(call.argumentsJson),
    })),
    toolCallId: message.toolCallId,
  };
}

/** JSON text in canonical form; text that is not JSON stays as it is. */
function canonicalJson(text: string): string {
  try {
    return canonical(JSON.parse(text)) ?? text;
  } catch {
    return text;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
