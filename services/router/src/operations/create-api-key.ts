// Creates an API key; with an idempotency key, a retry returns the first request's key.
import type { router } from '@keel/contracts';
import { newApiKey } from '@keel/kit';
import type { RouterDeps } from '../deps';
import { apiKeyRecord } from '../domain/tenant';
import { apiKeyDoc, apiKeyOf } from '../store/api-keys';
import type { Idempotency } from './create-tenant';

export interface CreatedApiKey {
  apiKey: router.ApiKeyRecord;
  /** `keel_<key id>_<secret>`; '' when an earlier request with the same key created it. */
  token: string;
}

export async function createApiKey(
  deps: RouterDeps,
  input: {
    tenantId: string;
    scopes: router.ApiKeyScope[];
    operator: boolean;
    /** Unset: the key never expires. */
    expiresAt?: Date;
    idempotency: Idempotency | null;
  },
): Promise<CreatedApiKey> {
  const { store, publisher } = deps;
  const key = newApiKey();
  const record = apiKeyRecord({
    tenantId: input.tenantId,
    key,
    scopes: input.scopes,
    operator: input.operator,
    expiresAt: input.expiresAt,
  });
  const planned = { api_key: apiKeyDoc(record, input.idempotency?.key ?? null, new Date()) };
  const claim = input.idempotency
    ? await store.idempotency.claim(input.idempotency.scope, input.idempotency.key, planned)
    : { docs: planned, first: true };
  await store.apiKeys.insertOnce(claim.docs.api_key);
  await publisher.publishKeys();
  return claim.first
    ? { apiKey: record, token: key.token }
    : { apiKey: apiKeyOf(claim.docs.api_key), token: '' };
}
