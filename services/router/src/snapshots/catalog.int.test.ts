import { connectBus, type Bus } from '@keel/bus';
import { builtinCatalog, sameModels } from '@keel/catalog';
import { router } from '@keel/contracts';
import { CURRENT_CATALOG_KEY, catalogVersionKey } from '@keel/snapshots';
import { testServers, uniqueName } from '@keel/testing';
import { SnapshotReader, silentLogger, startTestRouter } from '../router.fixture';
import { Catalogs } from './catalog';

const builtin = builtinCatalog(0n);
/** A catalog another release might ship: the builtin one without its last model. */
const older = router.ModelCatalog.fromPartial({ ...builtin, models: builtin.models.slice(0, -1) });

/** `catalog`, to take effect now, as the only catalog wanted. */
const now = (catalog: router.ModelCatalog) => [{ ...catalog, effectiveAt: new Date() }];
/** The version in effect now that publishing `catalog` leaves. */
const publishNow = async (catalogs: Catalogs, catalog: router.ModelCatalog) =>
  (await catalogs.publish(now(catalog)))[0];

describe('model catalog versions', () => {
  let bus: Bus;

  beforeAll(async () => {
    bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'router-test',
      prefix: uniqueName('rt'),
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await bus.drain();
  });

  async function freshCatalogs() {
    const bucket = await bus.kv(uniqueName('catalog'), { history: 1 });
    const current = async () => {
      const entry = await bucket.get(CURRENT_CATALOG_KEY);
      return entry ? new TextDecoder().decode(entry.value) : null;
    };
    return { bucket, catalogs: new Catalogs(bucket), current };
  }

  it('publishes version 1 once, and a new version only when the models change', async () => {
    const { bucket, catalogs, current } = await freshCatalogs();
    expect((await publishNow(catalogs, builtin)).version).toBe(1n);
    expect((await publishNow(catalogs, builtin)).version).toBe(1n);
    expect(await current()).toBe('1');
    expect(await bucket.get(catalogVersionKey(2n))).toBeNull();

    expect((await publishNow(catalogs, older)).version).toBe(2n);
    const back = await publishNow(catalogs, builtin);
    expect(back.version).toBe(3n);
    expect(sameModels(back, builtin)).toBe(true);
    expect(sameModels(await catalogs.current(), builtin)).toBe(true);
    // Published versions never change.
    const v2 = router.ModelCatalog.decode((await bucket.get(catalogVersionKey(2n)))!.value);
    expect(sameModels(v2, older)).toBe(true);
  });

  it('agrees on one version when replicas publish together', async () => {
    const { bucket, current } = await freshCatalogs();
    const published = await Promise.all(
      Array.from({ length: 4 }, () => publishNow(new Catalogs(bucket), builtin)),
    );
    expect(published.map((catalog) => catalog.version)).toEqual([1n, 1n, 1n, 1n]);
    expect(await current()).toBe('1');
  });

  it('adopts a version a stopped publisher created without making it current', async () => {
    const { bucket, catalogs, current } = await freshCatalogs();
    await publishNow(catalogs, builtin);
    await bucket.create(
      catalogVersionKey(2n),
      router.ModelCatalog.encode({ ...older, version: 2n, effectiveAt: new Date() }).finish(),
    );
    expect((await publishNow(catalogs, older)).version).toBe(2n);
    expect(await current()).toBe('2');
    expect(await bucket.get(catalogVersionKey(3n))).toBeNull();
  });

  it('rebuilds the catalog after losing a race, so a model another writer added stays', async () => {
    const { bucket, catalogs } = await freshCatalogs();
    await publishNow(catalogs, older);
    // This writer stored the last builtin model; another stores `extra` while this one builds.
    const extra = router.Model.fromPartial({ ...builtin.models[0], name: 'extra' });
    const stored = [...builtin.models];
    const withBoth = { ...builtin, models: [...builtin.models, extra] };
    let raced = false;
    const build = async () => {
      const built = { ...builtin, models: [...stored] };
      if (!raced) {
        raced = true;
        stored.push(extra);
        await publishNow(new Catalogs(bucket), { ...builtin, models: [...stored] });
      }
      return now(built);
    };
    const [published] = await catalogs.publish(build);
    expect(sameModels(published, withBoth)).toBe(true);
    expect(sameModels(await catalogs.current(), withBoth)).toBe(true);
    expect(published.version).toBe(2n);
  });

  it('publishes a change ahead of its time, in effect from then on and never before', async () => {
    const { bucket, catalogs, current } = await freshCatalogs();
    const start = new Date();
    const later = new Date(start.getTime() + 3_600_000);
    const [first] = await catalogs.publish([{ ...older, effectiveAt: start }]);
    const [now1, scheduled] = await catalogs.publish([
      { ...older, effectiveAt: start },
      { ...builtin, effectiveAt: later },
    ]);
    expect([first.version, now1.version, scheduled.version]).toEqual([1n, 1n, 2n]);
    expect(scheduled.effectiveAt).toEqual(later);
    expect(await current()).toBe('2');
    expect((await catalogs.current(start)).version).toBe(1n);
    expect((await catalogs.current(new Date(later.getTime() - 1))).version).toBe(1n);
    expect((await catalogs.current(later)).version).toBe(2n);
    expect((await catalogs.scheduled(start)).map((catalog) => catalog.version)).toEqual([2n]);
    expect(await catalogs.scheduled(later)).toEqual([]);
    // The version once published stays as it was.
    const stored = router.ModelCatalog.decode((await bucket.get(catalogVersionKey(2n)))!.value);
    expect(stored).toEqual(scheduled);
  });

  it('republishes a scheduled change that a later immediate change would otherwise undo', async () => {
    const { catalogs } = await freshCatalogs();
    const start = new Date();
    const later = new Date(start.getTime() + 3_600_000);
    const extra = router.Model.fromPartial({ ...builtin.models[0], name: 'extra' });
    await catalogs.publish([
      { ...older, effectiveAt: start },
      { ...builtin, effectiveAt: later },
    ]);
    // `extra` now; the scheduled version 2 lacks it, so version 4 replaces it at `later`.
    const withExtra = (catalog: router.ModelCatalog) => ({
      ...catalog,
      models: [...catalog.models, extra],
    });
    const [inEffect, scheduled] = await catalogs.publish([
      { ...withExtra(older), effectiveAt: new Date(start.getTime() + 1) },
      { ...withExtra(builtin), effectiveAt: later },
    ]);
    expect([inEffect.version, scheduled.version]).toEqual([3n, 4n]);
    expect((await catalogs.current(later)).version).toBe(4n);
    expect(sameModels(await catalogs.current(later), withExtra(builtin))).toBe(true);
    const afterExtra = new Date(start.getTime() + 1);
    expect((await catalogs.scheduled(afterExtra)).map((catalog) => catalog.version)).toEqual([4n]);
  });

  it('is published once by the first router and kept by a second start', async () => {
    const first = await startTestRouter();
    const reader = await SnapshotReader.open(first.prefix);
    try {
      expect((await first.client.getCatalog(first.operatorToken)).catalog?.version).toBe(1n);
    } finally {
      await first.stop();
    }
    const second = await startTestRouter(first.prefix);
    try {
      expect((await second.client.getCatalog(second.operatorToken)).catalog?.version).toBe(1n);
      const bucket = reader.buckets.catalog;
      expect(new TextDecoder().decode((await bucket.get(CURRENT_CATALOG_KEY))!.value)).toBe('1');
      expect(await bucket.get(catalogVersionKey(2n))).toBeNull();
    } finally {
      await second.stop();
      await reader.close();
    }
  });
});
