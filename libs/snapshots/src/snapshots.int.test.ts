import { Metadata } from '@grpc/grpc-js';
import { connectBus, type Bus } from '@keel/bus';
import { builtinCatalog } from '@keel/catalog';
import { router } from '@keel/contracts';
import { UnauthenticatedError } from '@keel/errors';
import { newApiKey } from '@keel/kit';
import { eventually, testServers, uniqueName } from '@keel/testing';
import pino from 'pino';
import {
  CatalogVersions,
  SNAPSHOT_KEY,
  SnapshotFollower,
  catalogVersionKey,
  openSnapshotBuckets,
  type SnapshotBuckets,
} from './index';

const logger = pino({ level: 'silent' });

function policySnapshot(tenantId: string, models: string[]): Uint8Array {
  return router.PolicySnapshot.encode(
    router.PolicySnapshot.fromPartial({
      catalog: builtinCatalog(3n),
      tenants: [
        {
          tenantId,
          defaultFunctionName: 'support.answer',
          functions: [
            {
              tenantId,
              functionName: 'support.answer',
              variants: [{ variantName: 'default', modelChain: models }],
              policy: { fixed: { variantName: 'default' } },
            },
          ],
        },
      ],
    }),
  ).finish();
}

function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** A logger whose lines the test can read. */
function captureLogs(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function keysSnapshot(records: router.ApiKeyRecord[]): Uint8Array {
  return router.KeysSnapshot.encode(router.KeysSnapshot.fromPartial({ keys: records })).finish();
}

describe('SnapshotFollower', () => {
  let bus: Bus;
  let buckets: SnapshotBuckets;

  beforeAll(async () => {
    bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'snapshots-test',
      prefix: uniqueName(),
      logger,
    });
    buckets = await openSnapshotBuckets(bus);
  });

  afterAll(async () => {
    await bus.drain();
  });

  it('is ready once both snapshots arrive, and follows later versions', async () => {
    const follower = await SnapshotFollower.follow(buckets, logger);
    expect(follower.ready).toBe(false);
    const ready = follower.whenReady();

    const key = newApiKey();
    const record = router.ApiKeyRecord.fromPartial({
      keyId: key.keyId,
      tenantId: 'tenant-a',
      secretSha256: key.secretSha256,
      scopes: [router.ApiKeyScope.API_KEY_SCOPE_INFERENCE],
    });
    const firstPolicy = await buckets.policy.put(
      SNAPSHOT_KEY,
      policySnapshot('tenant-a', ['sim-small']),
    );
    await buckets.keys.put(SNAPSHOT_KEY, keysSnapshot([record]));
    await ready;

    const request = { tenantId: 'tenant-a', functionName: '', model: '' };
    expect(follower.policy?.version).toBe(firstPolicy);
    expect(follower.policy?.decide(request).modelChain).toEqual(['sim-small']);

    const secondPolicy = await buckets.policy.put(
      SNAPSHOT_KEY,
      policySnapshot('tenant-a', ['sim-large', 'sim-small']),
    );
    await eventually(() => follower.policy?.version === secondPolicy, { what: 'new policy' });
    expect(follower.policy?.decide(request)).toMatchObject({
      modelChain: ['sim-large', 'sim-small'],
      policyVersion: secondPolicy,
    });

    expect(follower.keyRing.authenticate(bearer(key.token)).tenantId).toBe('tenant-a');
    const withoutKey = await buckets.keys.put(SNAPSHOT_KEY, keysSnapshot([]));
    await eventually(() => follower.keyRing.version === withoutKey, { what: 'keys without it' });
    expect(() => follower.keyRing.authenticate(bearer(key.token))).toThrow(UnauthenticatedError);
    follower.stop();
  });

  it('keeps the last good policy when a snapshot cannot be applied, and logs the refusal', async () => {
    const own = await connectBus({
      servers: testServers().natsUrl,
      name: 'snapshots-test',
      prefix: uniqueName(),
      logger,
    });
    try {
      const ownBuckets = await openSnapshotBuckets(own);
      const good = await ownBuckets.policy.put(
        SNAPSHOT_KEY,
        policySnapshot('tenant-a', ['sim-small']),
      );
      await ownBuckets.keys.put(SNAPSHOT_KEY, keysSnapshot([]));
      const { logger: followerLogger, lines } = captureLogs();
      const follower = await SnapshotFollower.follow(ownBuckets, followerLogger);
      await follower.whenReady();
      expect(follower.policy?.version).toBe(good);

      // A snapshot without a catalog is refused by Policy.from.
      const bad = await ownBuckets.policy.put(
        SNAPSHOT_KEY,
        router.PolicySnapshot.encode(router.PolicySnapshot.fromPartial({ tenants: [] })).finish(),
      );
      await eventually(
        () =>
          lines.some(
            (line) =>
              line.msg === 'policy snapshot rejected; keeping the previous one' &&
              line.policy_version === bad.toString(),
          ),
        { what: 'the bad policy to be rejected' },
      );
      follower.stop();

      expect(follower.policy?.version).toBe(good);
    } finally {
      await own.drain();
    }
  });
});

describe('CatalogVersions', () => {
  it('reads a published version and answers null for one not yet published', async () => {
    const bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'snapshots-test',
      prefix: uniqueName(),
      logger,
    });
    try {
      const { catalog } = await openSnapshotBuckets(bus);
      const versions = new CatalogVersions(catalog);
      expect(await versions.get(7n)).toBeNull();
      await catalog.put(
        catalogVersionKey(7n),
        router.ModelCatalog.encode(builtinCatalog(7n)).finish(),
      );
      const read = await versions.get(7n);
      expect(read?.version).toBe(7n);
      expect(read?.models.map((m) => m.name)).toContain('sim-small');
    } finally {
      await bus.drain();
    }
  });
});
