// The router's database: tenants, their settings, API keys and functions, idempotency records, and the
// operator's providers and catalog models.
import type { CollectionIndexes, Store } from '@keel/store';
import { ApiKeyStore, type ApiKeyDoc } from './api-keys';
import { FunctionStore, type FunctionDoc } from './functions';
import { IdempotencyStore, type IdempotencyDoc } from './idempotency';
import { ModelStore, type ModelDoc } from './models';
import { ProviderStore, type ProviderDoc } from './providers';
import { TenantSettingsStore, type TenantSettingsDoc } from './tenant-settings';
import { TenantStore, type TenantDoc } from './tenants';

export interface RouterStore {
  tenants: TenantStore;
  tenantSettings: TenantSettingsStore;
  apiKeys: ApiKeyStore;
  functions: FunctionStore;
  idempotency: IdempotencyStore;
  providers: ProviderStore;
  models: ModelStore;
}

export const routerIndexes: CollectionIndexes = {
  tenants: [{ key: { tenant_id: 1 }, unique: true }],
  tenant_settings: [{ key: { tenant_id: 1 }, unique: true }],
  api_keys: [
    { key: { tenant_id: 1, key_id: 1 }, unique: true },
    // A token names only its key id, so key ids must be unique across tenants.
    { key: { key_id: 1 }, unique: true, global: true },
  ],
  functions: [{ key: { tenant_id: 1, function_name: 1 }, unique: true }],
  // Creating a tenant happens before the tenant exists, so its idempotency keys span tenants.
  idempotency: [{ key: { scope: 1, idempotency_key: 1 }, unique: true, global: true }],
  // Providers and models are the deployment's, shared by every tenant.
  providers: [{ key: { name: 1 }, unique: true, global: true }],
  models: [{ key: { name: 1 }, unique: true, global: true }],
};

export function routerStore(store: Store): RouterStore {
  return {
    tenants: new TenantStore(store.collection<TenantDoc>('tenants')),
    tenantSettings: new TenantSettingsStore(store.collection<TenantSettingsDoc>('tenant_settings')),
    apiKeys: new ApiKeyStore(store.collection<ApiKeyDoc>('api_keys')),
    functions: new FunctionStore(store.collection<FunctionDoc>('functions')),
    idempotency: new IdempotencyStore(store.collection<IdempotencyDoc>('idempotency')),
    providers: new ProviderStore(store.collection<ProviderDoc>('providers')),
    models: new ModelStore(store.collection<ModelDoc>('models')),
  };
}
