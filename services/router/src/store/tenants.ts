import type { router } from '@keel/contracts';
import { insertOnce } from '@keel/store';
import type { Collection } from 'mongodb';

export interface TenantDoc {
  tenant_id: string;
  name: string;
  default_function_name: string;
  /** The idempotency key of the request that created the tenant, if it had one. */
  idempotency_key: string | null;
  created_at: Date;
}

export function tenantDoc(tenant: router.Tenant, idempotencyKey: string | null): TenantDoc {
  return {
    tenant_id: tenant.tenantId,
    name: tenant.name,
    default_function_name: tenant.defaultFunctionName,
    idempotency_key: idempotencyKey,
    created_at: tenant.createdAt ?? new Date(),
  };
}

export function tenantOf(doc: TenantDoc): router.Tenant {
  return {
    tenantId: doc.tenant_id,
    name: doc.name,
    defaultFunctionName: doc.default_function_name,
    createdAt: doc.created_at,
  };
}

export class TenantStore {
  constructor(private readonly collection: Collection<TenantDoc>) {}

  /** Stores the tenant unless it exists: a retried creation changes nothing. */
  async insertOnce(doc: TenantDoc): Promise<void> {
    await insertOnce(this.collection, doc);
  }

  async get(tenantId: string): Promise<router.Tenant | null> {
    const doc = await this.collection.findOne({ tenant_id: tenantId });
    return doc ? tenantOf(doc) : null;
  }

  async all(): Promise<router.Tenant[]> {
    const docs = await this.collection.find({}).toArray();
    return docs.map(tenantOf);
  }

  async setDefaultFunction(tenantId: string, functionName: string): Promise<void> {
    await this.collection.updateOne(
      { tenant_id: tenantId },
      { $set: { default_function_name: functionName } },
    );
  }
}
