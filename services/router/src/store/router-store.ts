// The router's database: tenants, their API keys and functions, and idempotency records.
import type { CollectionIndexes, Store } from '@keel/store';
import { ApiKeyStore, type ApiKeyDoc } from './api-keys';
import { FunctionStore, type FunctionDoc } from './functions';
import { IdempotencyStore, type IdempotencyDoc } from './idempotency';
import { TenantStore, type TenantDoc } from './tenants';

export interface RouterStore {
  tenants: TenantStore;
  apiKeys: ApiKeyStore;
  functions: FunctionStore;
  idempotency: IdempotencyStore;
}

export const routerIndexes: CollectionIndexes = {
  tenants: [{ key: { tenant_id: 1 }, unique: true }],
  api_keys: [
    { key: { tenant_id: 1, key_id: 1 }, unique: true },
    // A token names only its key id, so key ids must be unique across tenants.
    { key: { key_id: 1 }, unique: true, global: true },
  ],
  functions: [{ key: { tenant_id: 1, function_name: 1 }, unique: true }],
  // Creating a tenant happens before the tenant exists, so its idempotency keys span tenants.
  idempotency: [{ key: { scope: 1, idempotency_key: 1 }, unique: true, global: true }],
};

export function routerStore(store: Store): RouterStore {
  return {
    tenants: new TenantStore(store.collection<TenantDoc>('tenants')),
    apiKeys: new ApiKeyStore(store.collection<ApiKeyDoc>('api_keys')),
    functions: new FunctionStore(store.collection<FunctionDoc>('functions')),
    idempotency: new IdempotencyStore(store.collection<IdempotencyDoc>('idempotency')),
  };
}
