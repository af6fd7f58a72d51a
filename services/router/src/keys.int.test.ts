import { Metadata, status } from '@grpc/grpc-js';
import type { KvBucket, KvEntry } from '@keel/bus';
import { router } from '@keel/contracts';
import { SnapshotFollower } from '@keel/snapshots';
import { eventually } from '@keel/testing';
import pino from 'pino';
import { SnapshotReader, codeOf, startTestRouter, type TestRouter } from './router.fixture';

const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;

describe('API keys: operator power, expiry and missed revocations', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let operatorTenantId: string;
  let otherTenantId: string;
  let otherAdmin: string;

  beforeAll(async () => {
    r = await startTestRouter();
    reader = await SnapshotReader.open(r.prefix);
    const created = await r.client.createTenant(r.operatorToken, {
      name: 'Acme',
      keyScopes: [API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE],
    });
    otherTenantId = created.tenant!.tenantId;
    otherAdmin = created.apiKeySecret;
    // The bootstrap key is the only key of the operator's tenant so far.
    operatorTenantId = (await reader.keys()).snapshot.keys.find((key) => key.operator)!.tenantId;
  });

  afterAll(async () => {
    await reader.close();
    await r.stop();
  });

  it("keeps an operator-tenant key without admin to the operator's tenant", async () => {
    const created = await r.client.createApiKey(r.operatorToken, {
      scopes: [API_KEY_SCOPE_INFERENCE],
    });
    expect(created.apiKey).toMatchObject({ tenantId: operatorTenantId, operator: true });
    const inferenceOnly = created.apiKeySecret;

    const refused = r.client.route(inferenceOnly, { tenantId: otherTenantId });
    await expect(refused).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(refused).rejects.toThrow(/only an operator key with the admin scope/);
    // Its own tenant stays open to it, and the operator's admin key still reaches every tenant.
    expect((await r.client.route(inferenceOnly, {})).decision?.functionName).toBe('default');
    const allowed = await r.client.route(r.operatorToken, { tenantId: otherTenantId });
    expect(allowed.decision?.functionName).toBe('default');
  });

  it('refuses a key once it expired, saying when, and publishes its expiry', async () => {
    const expiresAt = new Date(Date.now() + 1_500);
    const created = await r.client.createApiKey(otherAdmin, {
      scopes: [API_KEY_SCOPE_INFERENCE],
      expiresAt,
    });
    expect(created.apiKey?.expiresAt).toEqual(expiresAt);
    const published = (await reader.keys()).snapshot.keys.find(
      (key) => key.keyId === created.apiKey!.keyId,
    );
    expect(published?.expiresAt).toEqual(expiresAt);

    expect((await r.client.route(created.apiKeySecret, {})).decision).toBeDefined();
    const refusal = await eventually(
      async () => {
        try {
          await r.client.route(created.apiKeySecret, {});
          return false;
        } catch (error) {
          return error as { code: status; details: string };
        }
      },
      { what: 'the expired key to be refused', intervalMs: 100 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    expect(refusal).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: `API key expired at ${expiresAt.toISOString()}`,
    });
    // No new keys snapshot was needed: the same version still lists the key.
    const after = (await reader.keys()).snapshot.keys.map((key) => key.keyId);
    expect(after).toContain(created.apiKey!.keyId);
  });

  it('refuses to create a key whose expiry is not in the future', async () => {
    const call = r.client.createApiKey(otherAdmin, {
      scopes: [API_KEY_SCOPE_INFERENCE],
      expiresAt: new Date(Date.now() - 1_000),
    });
    await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(call).rejects.toThrow(/expires_at: .* is not in the future/);
  });

  it('refuses a revoked key whose update the watch missed, on the next reload', async () => {
    const created = await r.client.createApiKey(otherAdmin, { scopes: [API_KEY_SCOPE_INFERENCE] });
    const token = created.apiKeySecret;
    const { logger, lines } = captureLogs();
    const keysWatch = pausableWatch(reader.buckets.keys);
    const follower = await SnapshotFollower.follow(
      { ...reader.buckets, keys: keysWatch.bucket },
      logger,
      { reloadMs: 200 },
    );
    try {
      await follower.whenReady();
      expect(follower.keyRing.authenticate(bearer(token)).tenantId).toBe(otherTenantId);

      keysWatch.stop(); // from here on the watch delivers nothing
      const { keysVersion } = await r.client.revokeApiKey(otherAdmin, created.apiKey!.keyId);
      expect(await codeOf(r.client.route(token, {}))).toBe(status.UNAUTHENTICATED);

      await eventually(() => follower.keyRing.version === keysVersion, {
        what: 'the reload to apply the revocation',
      });
      expect(keysWatch.delivered.every((entry) => entry.revision < keysVersion)).toBe(true);
      expect(() => follower.keyRing.authenticate(bearer(token))).toThrow(
        'unknown or revoked API key',
      );
      expect(lines).toContainEqual(
        expect.objectContaining({
          snapshot: 'keys',
          reloaded_version: keysVersion.toString(),
          msg: 'snapshot reload found a version the watch had not delivered: a missed update',
        }),
      );
    } finally {
      follower.stop();
    }
  });
});

/** A bucket whose watch the test can stop, as if its updates were lost; reads still work. */
function pausableWatch(real: KvBucket): {
  bucket: KvBucket;
  delivered: KvEntry[];
  stop(): void;
} {
  const watches: Array<{ stop(): void }> = [];
  const delivered: KvEntry[] = [];
  const bucket = Object.create(real) as KvBucket;
  bucket.watch = async (key, onEntry) => {
    const watch = await real.watch(key, (entry) => {
      if (entry) delivered.push(entry);
      onEntry(entry);
    });
    watches.push(watch);
    return watch;
  };
  return { bucket, delivered, stop: () => watches.forEach((watch) => watch.stop()) };
}

function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

function captureLogs(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}
