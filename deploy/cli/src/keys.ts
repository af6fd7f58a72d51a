// Where the CLI finds its API keys: flags first, then the environment, then (for the admin
// key) the bootstrap key file a local `npm start` writes.
import fs from 'node:fs';
import path from 'node:path';

const localAdminKeyFile = path.resolve(__dirname, '../../../.keel/admin-key');

export function adminKey(flag: string | undefined): string {
  const key = flag ?? process.env.KEEL_ADMIN_KEY ?? readKeyFile(localAdminKeyFile);
  if (!key) {
    throw new Error(
      `no admin key: pass --admin-key, set KEEL_ADMIN_KEY, or run \`npm start\` (it writes ${localAdminKeyFile})`,
    );
  }
  return key;
}

export function tenantKey(flag: string | undefined): string {
  const key = flag ?? process.env.KEEL_API_KEY;
  if (!key) throw new Error('no API key: pass --key or set KEEL_API_KEY');
  return key;
}

function readKeyFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
