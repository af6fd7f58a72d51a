import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { router } from '@keel/contracts';
import { uniqueName } from '@keel/testing';
import pino from 'pino';
import { startRouter } from './app';
import { SnapshotReader, routerClient, tempDir, testConfig } from './router.fixture';

const {
  API_KEY_SCOPE_ADMIN: ADMIN,
  API_KEY_SCOPE_INFERENCE: INFERENCE,
  API_KEY_SCOPE_FEEDBACK: FEEDBACK,
  API_KEY_SCOPE_ANALYTICS: ANALYTICS,
} = router.ApiKeyScope;

/** A logger whose lines the test can read. */
function capturedLogger(): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), text: () => chunks.join('') };
}

describe('bootstrap operator key', () => {
  const prefix = uniqueName('rt');
  let keys: Awaited<ReturnType<typeof tempDir>>;
  let reader: SnapshotReader;
  // In a directory that does not exist yet: the router creates it.
  let keyFile: string;

  beforeAll(async () => {
    keys = await tempDir();
    keyFile = path.join(keys.dir, 'state', 'admin-key');
    reader = await SnapshotReader.open(prefix);
  });

  afterAll(async () => {
    await reader.close();
    await keys.remove();
  });

  /** Starts a router on the shared prefix and key file, runs `use`, and stops it. */
  async function withRouter(
    use: (client: ReturnType<typeof routerClient>) => Promise<void>,
    logger: pino.Logger = pino({ level: 'silent' }),
  ): Promise<void> {
    const app = await startRouter(testConfig(prefix, { KEEL_BOOTSTRAP_KEY_FILE: keyFile }), logger);
    const client = routerClient(app.port);
    try {
      await use(client);
    } finally {
      client.close();
      await app.stop();
    }
  }

  it('writes a working operator key (0600), logs the path but never the key', async () => {
    const { logger, text } = capturedLogger();
    await withRouter(async (client) => {
      const token = (await readFile(keyFile, 'utf8')).trim();
      expect(token).toMatch(/^keel_[0-9a-f]{16}_[0-9a-f]{64}$/);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

      const created = await client.createTenant(token, { name: 'Acme' });
      expect(created.tenant?.name).toBe('Acme');
      const { snapshot } = await reader.keys();
      const operatorKey = snapshot.keys.find((key) => token.startsWith(`keel_${key.keyId}_`));
      expect(operatorKey).toMatchObject({
        operator: true,
        scopes: [ADMIN, INFERENCE, FEEDBACK, ANALYTICS],
      });

      expect(text()).toContain(keyFile);
      expect(text()).not.toContain(token.split('_')[2]);
    }, logger);
  });

  it('reuses the key on the next start, and replaces it once it is revoked', async () => {
    const first = (await readFile(keyFile, 'utf8')).trim();
    const versions = async () => [(await reader.policy()).version, (await reader.keys()).version];
    const before = await versions();
    await withRouter(async (client) => {
      expect((await readFile(keyFile, 'utf8')).trim()).toBe(first);
      // Nothing changed, so nothing was republished.
      expect(await versions()).toEqual(before);
      expect((await client.getCatalog(first)).catalog?.defaultModel).toBe('sim-small');
      await client.revokeApiKey(first, first.split('_')[1]);
    });

    await withRouter(async (client) => {
      const second = (await readFile(keyFile, 'utf8')).trim();
      expect(second).not.toBe(first);
      expect((await client.getCatalog(second)).catalog?.defaultModel).toBe('sim-small');
      // The operator tenant is created once: the new key belongs to the same one.
      const { snapshot } = await reader.keys();
      const operatorKeys = snapshot.keys.filter((key) => key.operator);
      expect(operatorKeys).toHaveLength(1);
      expect(operatorKeys[0].keyId).toBe(second.split('_')[1]);
      const { snapshot: policy } = await reader.policy();
      expect(policy.tenants.map((tenant) => tenant.tenantId)).toContain(operatorKeys[0].tenantId);
      expect(policy.tenants).toHaveLength(2); // the operator tenant and Acme
    });
  });
});
