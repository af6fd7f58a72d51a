// What creating a tenant creates: the tenant, its default function and its first API key.
import { router } from '@keel/contracts';

export const DEFAULT_FUNCTION_NAME = 'default';
export const DEFAULT_VARIANT_NAME = 'default';
export const DEFAULT_MAX_TOKENS = 512;

/** A key's identity as newApiKey makes it; only the digest is ever stored. */
export interface KeyMaterial {
  keyId: string;
  secretSha256: Buffer;
}

export interface NewTenant {
  tenant: router.Tenant;
  defaultFunction: router.KeelFunction;
  apiKey: router.ApiKeyRecord;
}

/**
 * A new tenant whose default function runs the catalog's default model, with a first key of
 * `scopes`.
 */
export function planTenant(input: {
  tenantId: string;
  name: string;
  catalog: router.ModelCatalog;
  key: KeyMaterial;
  scopes: router.ApiKeyScope[];
  operator: boolean;
  now: Date;
}): NewTenant {
  const { tenantId, name, catalog, key, scopes, operator, now } = input;
  return {
    tenant: {
      tenantId,
      name,
      defaultFunctionName: DEFAULT_FUNCTION_NAME,
      createdAt: now,
    },
    defaultFunction: defaultFunction(tenantId, catalog, now),
    apiKey: apiKeyRecord({ tenantId, key, scopes, operator }),
  };
}

/** One variant on the catalog's default model, always chosen. */
export function defaultFunction(
  tenantId: string,
  catalog: router.ModelCatalog,
  now: Date,
): router.KeelFunction {
  return {
    tenantId,
    functionName: DEFAULT_FUNCTION_NAME,
    variants: [
      {
        variantName: DEFAULT_VARIANT_NAME,
        modelChain: [catalog.defaultModel],
        defaultMaxTokens: DEFAULT_MAX_TOKENS,
      },
    ],
    policy: { fixed: { variantName: DEFAULT_VARIANT_NAME } },
    updatedAt: now,
    guardrails: undefined,
    rateLimit: undefined,
    retrieval: undefined,
    semanticCache: undefined,
    cache: undefined,
    evaluators: [],
    serviceLevel: undefined,
  };
}

export function apiKeyRecord(input: {
  tenantId: string;
  key: KeyMaterial;
  scopes: router.ApiKeyScope[];
  operator: boolean;
  /** Unset: the key never expires. */
  expiresAt?: Date;
}): router.ApiKeyRecord {
  return {
    keyId: input.key.keyId,
    tenantId: input.tenantId,
    secretSha256: input.key.secretSha256,
    scopes: [...input.scopes],
    operator: input.operator,
    expiresAt: input.expiresAt,
  };
}
