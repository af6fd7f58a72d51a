// The policy and keys snapshots, built from the router's records. Entries are sorted, so the
// same records always encode to the same bytes and an unchanged snapshot is recognised.
import { router } from '@keel/contracts';

/**
 * Every tenant's routing state and settings (by tenant id; a tenant without any has none) with
 * the catalog it routes against, the catalogs scheduled to replace it (earliest first) and the
 * providers that serve the catalogs' models; published_at unset.
 */
export function buildPolicySnapshot(
  catalog: router.ModelCatalog,
  tenants: readonly router.Tenant[],
  functions: readonly router.KeelFunction[],
  providers: readonly router.Provider[],
  settings: ReadonlyMap<string, router.TenantSettings>,
  budgets: readonly router.Budget[] = [],
  scheduledCatalogs: readonly router.ModelCatalog[] = [],
): router.PolicySnapshot {
  const functionsByTenant = new Map<string, router.KeelFunction[]>();
  for (const fn of functions) {
    const list = functionsByTenant.get(fn.tenantId) ?? [];
    list.push(fn);
    functionsByTenant.set(fn.tenantId, list);
  }
  return {
    catalog,
    tenants: [...tenants].sort(byKey((tenant) => tenant.tenantId)).map((tenant) => ({
      tenantId: tenant.tenantId,
      defaultFunctionName: tenant.defaultFunctionName,
      budgets: budgets
        .filter((budget) => budget.tenantId === tenant.tenantId)
        .sort(byKey((budget) => budget.budgetName)),
      functions: (functionsByTenant.get(tenant.tenantId) ?? []).sort(
        byKey((fn) => fn.functionName),
      ),
      settings: settings.get(tenant.tenantId),
    })),
    publishedAt: undefined,
    providers: [...providers].sort(byKey((provider) => provider.name)),
    scheduledCatalogs: [...scheduledCatalogs],
  };
}

/** The keys every service accepts: the caller passes only keys that are not revoked. */
export function buildKeysSnapshot(activeKeys: readonly router.ApiKeyRecord[]): router.KeysSnapshot {
  return { keys: [...activeKeys].sort(byKey((key) => key.keyId)), publishedAt: undefined };
}

export interface SnapshotCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/** True when the published bytes hold the same snapshot as `built`, whenever each was published. */
export function sameSnapshot<T extends { publishedAt: Date | undefined }>(
  codec: SnapshotCodec<T>,
  published: Uint8Array,
  built: T,
): boolean {
  const left = codec.encode({ ...codec.decode(published), publishedAt: undefined }).finish();
  const right = codec.encode({ ...built, publishedAt: undefined }).finish();
  return Buffer.from(left).equals(Buffer.from(right));
}

function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}
