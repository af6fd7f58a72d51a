// The router's database: tenants, their settings, API keys and functions, idempotency records, and the
// operator's providers and catalog models.
import type { CollectionIndexes, Store } from '@keel/store';
import { ApiKeyStore, type ApiKeyDoc } from './api-keys';
import { BudgetStore, type BudgetDoc } from './budgets';
import { FunctionStore, type FunctionDoc } from './functions';
import { IdempotencyStore, type IdempotencyDoc } from './idempotency';
import { ModelStore, type ModelDoc } from './models';
import { ProviderStore, type ProviderDoc } from './providers';
import { TenantSettingsStore, type TenantSettingsDoc } from './tenant-settings';
import { TenantStore, type TenantDoc } from './tenants';
import { VariantGateStore, type VariantGateDoc } from './variant-gates';

export interface RouterStore {
  tenants: TenantStore;
  tenantSettings: TenantSettingsStore;
  apiKeys: ApiKeyStore;
  functions: FunctionStore;
  idempotency: IdempotencyStore;
  providers: ProviderStore;
  models: ModelStore;
  variantGates: VariantGateStore;
  budgets: BudgetStore;
}

export const routerIndexes: CollectionIndexes = {
  variant_gates: [{ key: { tenant_id: 1, function_name: 1, variant_name: 1 }, unique: true }],
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
  // A model has a record per time a change of it takes effect.
  models: [{ key: { name: 1, effective_at: 1 }, unique: true, global: true }],
  budgets: [{ key: { tenant_id: 1, budget_name: 1 }, unique: true }],
};

/**
 * Drops the indexes earlier releases made that now refuse valid records: before prices over
 * time, a model had one record, unique on its name alone, which would refuse a scheduled change.
 */
export async function dropRetiredIndexes(store: Store): Promise<void> {
  const existing = await store.db.listCollections({ name: 'models' }).toArray();
  if (existing.length === 0) return;
  const models = store.collection('models');
  const names = (await models.indexes()).map((index) => index.name);
  if (names.includes('name_1')) await models.dropIndex('name_1');
}

export function routerStore(store: Store): RouterStore {
  return {
    tenants: new TenantStore(store.collection<TenantDoc>('tenants')),
    tenantSettings: new TenantSettingsStore(store.collection<TenantSettingsDoc>('tenant_settings')),
    apiKeys: new ApiKeyStore(store.collection<ApiKeyDoc>('api_keys')),
    functions: new FunctionStore(store.collection<FunctionDoc>('functions')),
    idempotency: new IdempotencyStore(store.collection<IdempotencyDoc>('idempotency')),
    providers: new ProviderStore(store.collection<ProviderDoc>('providers')),
    models: new ModelStore(store.collection<ModelDoc>('models')),
    variantGates: new VariantGateStore(store.collection<VariantGateDoc>('variant_gates')),
    budgets: new BudgetStore(store.collection<BudgetDoc>('budgets')),
  };
}
