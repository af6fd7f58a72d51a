// Creates a tenant with its default function and first key: each write is idempotent, so a
// retry with the same idempotency key completes what the first request started.
import type { router } from '@keel/contracts';
import { newApiKey } from '@keel/kit';
import { uuidv7 } from 'uuidv7';
import type { RouterDeps } from '../deps';
import { planTenant } from '../domain/tenant';
import { apiKeyDoc, apiKeyOf } from '../store/api-keys';
import { functionDoc } from '../store/functions';
import type { CreatedDocs } from '../store/idempotency';
import { tenantDoc, tenantOf } from '../store/tenants';

export interface CreatedTenant {
  tenant: router.Tenant;
  apiKey: router.ApiKeyRecord;
  /** `keel_<key id>_<secret>`; '' when an earlier request with the same key created the tenant. */
  token: string;
}

/** Idempotency keys are unique within a scope, e.g. `create_tenant`. */
export interface Idempotency {
  scope: string;
  key: string;
}

export async function createTenant(
  deps: RouterDeps,
  input: {
    name: string;
    scopes: router.ApiKeyScope[];
    operator: boolean;
    idempotency: Idempotency | null;
  },
): Promise<CreatedTenant> {
  const { store, catalogs, publisher } = deps;
  const key = newApiKey();
  const now = new Date();
  const plan = planTenant({
    tenantId: uuidv7(),
    name: input.name,
    catalog: await catalogs.current(),
    key,
    scopes: input.scopes,
    operator: input.operator,
    now,
  });
  const idempotencyKey = input.idempotency?.key ?? null;
  const planned: Required<CreatedDocs> = {
    tenant: tenantDoc(plan.tenant, idempotencyKey),
    function: functionDoc(plan.defaultFunction),
    api_key: apiKeyDoc(plan.apiKey, idempotencyKey, now),
  };

  const claim = input.idempotency
    ? await store.idempotency.claim(input.idempotency.scope, input.idempotency.key, planned)
    : { docs: planned, first: true };
  const docs = claim.docs;
  // The function first: a tenant is never published without its default function.
  await store.functions.insertOnce(docs.function);
  await store.tenants.insertOnce(docs.tenant);
  await store.apiKeys.insertOnce(docs.api_key);
  await publisher.publishAll();

  if (claim.first) return { tenant: plan.tenant, apiKey: plan.apiKey, token: key.token };
  const tenantId = docs.tenant.tenant_id;
  const existing = await store.tenants.get(tenantId);
  return {
    tenant: existing ?? tenantOf(docs.tenant),
    apiKey: apiKeyOf(docs.api_key),
    token: '',
  };
}
