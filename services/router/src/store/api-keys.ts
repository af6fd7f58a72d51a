import type { router } from '@keel/contracts';
import { insertOnce } from '@keel/store';
import { Binary, type Collection } from 'mongodb';
import { scopeOfWord, scopeWord } from '../domain/scopes';

export interface ApiKeyDoc {
  tenant_id: string;
  key_id: string;
  /** SHA-256 of the secret; the secret itself is never stored. */
  secret_sha256: Binary;
  /** Scope words: inference, feedback, analytics, admin. */
  scopes: string[];
  operator: boolean;
  /** Null (or absent, in documents written before keys could expire) for a key that never does. */
  expires_at: Date | null;
  idempotency_key: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export function apiKeyDoc(
  record: router.ApiKeyRecord,
  idempotencyKey: string | null,
  createdAt: Date,
): ApiKeyDoc {
  return {
    tenant_id: record.tenantId,
    key_id: record.keyId,
    secret_sha256: new Binary(record.secretSha256),
    scopes: record.scopes.map(scopeWord),
    operator: record.operator,
    expires_at: record.expiresAt ?? null,
    idempotency_key: idempotencyKey,
    created_at: createdAt,
    revoked_at: null,
  };
}

export function apiKeyOf(doc: ApiKeyDoc): router.ApiKeyRecord {
  return {
    keyId: doc.key_id,
    tenantId: doc.tenant_id,
    secretSha256: Buffer.from(doc.secret_sha256.buffer),
    scopes: doc.scopes.map(scopeOfWord),
    operator: doc.operator,
    expiresAt: doc.expires_at ?? undefined,
  };
}

export class ApiKeyStore {
  constructor(private readonly collection: Collection<ApiKeyDoc>) {}

  /** Stores the key unless it exists: a retried creation changes nothing. */
  async insertOnce(doc: ApiKeyDoc): Promise<void> {
    await insertOnce(this.collection, doc);
  }

  /** The key, revoked or not, or null when no key has that id. */
  async get(keyId: string): Promise<{ record: router.ApiKeyRecord; revoked: boolean } | null> {
    const doc = await this.collection.findOne({ key_id: keyId });
    return doc ? { record: apiKeyOf(doc), revoked: doc.revoked_at !== null } : null;
  }

  /** Every key that is not revoked: what the keys snapshot publishes. */
  async active(): Promise<router.ApiKeyRecord[]> {
    const docs = await this.collection.find({ revoked_at: null }).toArray();
    return docs.map(apiKeyOf);
  }

  /** Marks the key revoked; a key revoked earlier keeps its first revocation time. */
  async revoke(tenantId: string, keyId: string, at: Date): Promise<void> {
    await this.collection.updateOne(
      { tenant_id: tenantId, key_id: keyId, revoked_at: null },
      { $set: { revoked_at: at } },
    );
  }
}
