// The operator's first admin key, kept in a file so a fresh deployment can be administered.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseApiKey, verifySecret } from '@keel/kit';
import type { KitLogger } from '@keel/kit';
import type { RouterDeps } from './deps';
import { OPERATOR_KEY_SCOPES } from './domain/scopes';
import { createApiKey } from './operations/create-api-key';
import { createTenant } from './operations/create-tenant';

// One operator tenant per deployment, however often the key file is lost.
const OPERATOR_TENANT = { scope: 'bootstrap', key: 'operator-tenant' };

/**
 * Makes `file` hold a working operator admin key: one already there is kept; otherwise the
 * operator tenant is created (once) and given a new operator key, written with mode 0600.
 * Logs the file's path, never the key.
 */
export async function ensureBootstrapKey(
  deps: RouterDeps,
  file: string,
  logger: KitLogger,
): Promise<void> {
  if (await holdsWorkingOperatorKey(deps, file)) {
    logger.info({ file }, 'bootstrap operator key file holds a working key');
    return;
  }
  const created = await createTenant(deps, {
    name: 'operator',
    scopes: [...OPERATOR_KEY_SCOPES],
    operator: true,
    idempotency: OPERATOR_TENANT,
  });
  // A key file lost after the first bootstrap: the tenant stays, with a new key.
  const token =
    created.token ||
    (
      await createApiKey(deps, {
        tenantId: created.tenant.tenantId,
        scopes: [...OPERATOR_KEY_SCOPES],
        operator: true,
        idempotency: null,
      })
    ).token;

  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  // writeFile's mode applies only to a new file; an existing one may have been wider.
  await chmod(file, 0o600);
  logger.info(
    { file, tenant_id: created.tenant.tenantId },
    'bootstrap operator key written; it is shown nowhere else',
  );
}

async function holdsWorkingOperatorKey(deps: RouterDeps, file: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const parsed = parseApiKey(text.trim());
  if (!parsed) return false;
  const found = await deps.store.apiKeys.get(parsed.keyId);
  if (!found || found.revoked || !found.record.operator) return false;
  return verifySecret(parsed.secret, found.record.secretSha256);
}
