// What the first request with an idempotency key set out to create, so a retry (or a request
// racing it) returns the same records and completes any write the first one did not finish.
import { insertOnceOrGet } from '@keel/store';
import type { Collection } from 'mongodb';
import type { ApiKeyDoc } from './api-keys';
import type { FunctionDoc } from './functions';
import type { TenantDoc } from './tenants';

/** The records a request creates: a tenant with its default function and first key, or a key. */
export interface CreatedDocs {
  tenant?: TenantDoc;
  function?: FunctionDoc;
  api_key: ApiKeyDoc;
}

export interface IdempotencyDoc extends CreatedDocs {
  /** What the key is unique within, e.g. `create_tenant` or `create_api_key:<tenant id>`. */
  scope: string;
  idempotency_key: string;
  created_at: Date;
}

export class IdempotencyStore {
  constructor(private readonly collection: Collection<IdempotencyDoc>) {}

  /**
   * Records `created` as what this key creates, unless an earlier request already did: then
   * returns what that one recorded, and `first` is false.
   */
  async claim<T extends CreatedDocs>(
    scope: string,
    idempotencyKey: string,
    created: T,
  ): Promise<{ docs: T; first: boolean }> {
    const doc: IdempotencyDoc = {
      scope,
      idempotency_key: idempotencyKey,
      created_at: new Date(),
      ...created,
    };
    const key = { scope, idempotency_key: idempotencyKey };
    const { inserted, stored } = await insertOnceOrGet(this.collection, doc, key);
    if (inserted) return { docs: created, first: true };
    const { tenant, function: fn, api_key } = stored;
    // A scope belongs to one operation, so the earlier request recorded the same kinds of docs.
    const docs = { api_key, ...(tenant ? { tenant } : {}), ...(fn ? { function: fn } : {}) };
    return { docs: docs as T, first: false };
  }
}
