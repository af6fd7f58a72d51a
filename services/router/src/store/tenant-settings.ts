import type { router } from '@keel/contracts';
import { replaceOrInsert } from '@keel/store';
import type { Collection } from 'mongodb';
import {
  guardrailsDoc,
  guardrailsOf,
  rateLimitDoc,
  rateLimitOf,
  type GuardrailsDoc,
  type RateLimitDoc,
} from './function-settings';

/** A tenant's settings; a tenant that never set any has no document. */
export interface TenantSettingsDoc {
  tenant_id: string;
  guardrails: GuardrailsDoc | null;
  rate_limit: RateLimitDoc | null;
  updated_at: Date;
}

export function tenantSettingsDoc(
  tenantId: string,
  settings: router.TenantSettings,
  updatedAt: Date,
): TenantSettingsDoc {
  return {
    tenant_id: tenantId,
    guardrails: guardrailsDoc(settings.guardrails),
    rate_limit: rateLimitDoc(settings.rateLimit),
    updated_at: updatedAt,
  };
}

export function tenantSettingsOf(doc: TenantSettingsDoc): router.TenantSettings {
  return { guardrails: guardrailsOf(doc.guardrails), rateLimit: rateLimitOf(doc.rate_limit) };
}

export class TenantSettingsStore {
  constructor(private readonly collection: Collection<TenantSettingsDoc>) {}

  /** Replaces the tenant's settings. */
  async put(doc: TenantSettingsDoc): Promise<void> {
    await replaceOrInsert(this.collection, { tenant_id: doc.tenant_id }, doc);
  }

  /** Every tenant's settings, by tenant id. */
  async all(): Promise<Map<string, router.TenantSettings>> {
    const docs = await this.collection.find({}).toArray();
    return new Map(docs.map((doc) => [doc.tenant_id, tenantSettingsOf(doc)]));
  }
}
