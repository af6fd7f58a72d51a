import type { Metadata } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { PermissionDeniedError, UnauthenticatedError, UnavailableError } from '@keel/errors';
import { parseApiKey, verifySecret } from './api-key';

/** Who is calling, as established by their API key. */
export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: router.ApiKeyScope[];
  /**
   * Operator power: reaching every tenant, managing providers and models. Only an admin key
   * of the operator's tenant has it; the tenant's other keys act on that tenant alone.
   */
  operator: boolean;
}

const EXPECTED_FORMAT = 'expected `authorization: Bearer keel_<key id>_<secret>`';
// Unknown and wrong keys get the same answer, so a caller cannot probe which key ids exist.
const REFUSED = 'unknown or revoked API key';
// Compared against when the key id is unknown, so both refusals take the same path.
const NO_DIGEST = Buffer.alloc(32);

/** The caller a valid key stands for. */
export function principalOfKey(record: router.ApiKeyRecord): Principal {
  return {
    tenantId: record.tenantId,
    keyId: record.keyId,
    scopes: record.scopes,
    operator: record.operator && record.scopes.includes(router.ApiKeyScope.API_KEY_SCOPE_ADMIN),
  };
}

/** Refuses a key whose expiry has passed at `now` (ms since the epoch), saying when it did. */
export function refuseExpired(record: router.ApiKeyRecord, now: number): void {
  if (record.expiresAt && record.expiresAt.getTime() <= now) {
    throw new UnauthenticatedError(`API key expired at ${record.expiresAt.toISOString()}`);
  }
}

/**
 * The hashed API keys of the latest keys snapshot; checks each request locally. Expiry is
 * checked against the clock at each request, so a key stops working on time even when no new
 * snapshot arrives.
 */
export class KeyRing {
  private keys = new Map<string, router.ApiKeyRecord>();
  private snapshotVersion: bigint | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces every key at once: a key absent from the snapshot is revoked. */
  update(snapshot: router.KeysSnapshot, version: bigint): void {
    this.keys = new Map(snapshot.keys.map((key) => [key.keyId, key]));
    this.snapshotVersion = version;
  }

  /** The version of the snapshot in use; null until the first one arrives. */
  get version(): bigint | null {
    return this.snapshotVersion;
  }

  authenticate(metadata: Metadata): Principal {
    const header = metadata.get('authorization')[0];
    if (header === undefined) {
      throw new UnauthenticatedError(`missing authorization header: ${EXPECTED_FORMAT}`);
    }
    const bearer = /^Bearer (\S+)$/i.exec(String(header).trim());
    const parsed = bearer ? parseApiKey(bearer[1]) : null;
    if (!parsed) throw new UnauthenticatedError(`malformed API key: ${EXPECTED_FORMAT}`);
    if (this.snapshotVersion === null) {
      throw new UnavailableError('API keys are not loaded yet; retry shortly');
    }

    const record = this.keys.get(parsed.keyId);
    const matches = verifySecret(parsed.secret, record?.secretSha256 ?? NO_DIGEST);
    if (!record || !matches) throw new UnauthenticatedError(REFUSED);
    refuseExpired(record, this.now());
    return principalOfKey(record);
  }

  authorize(principal: Principal, scope: router.ApiKeyScope): void {
    if (!principal.scopes.includes(scope)) {
      throw new PermissionDeniedError(`this API key lacks the '${scopeName(scope)}' scope`);
    }
  }
}

/** `API_KEY_SCOPE_INFERENCE` → `inference`, the word callers use. */
function scopeName(scope: router.ApiKeyScope): string {
  return router
    .apiKeyScopeToJSON(scope)
    .replace(/^API_KEY_SCOPE_/, '')
    .toLowerCase();
}
