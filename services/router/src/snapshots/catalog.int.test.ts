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
    expect((await catalogs.publish(builtin)).version).toBe(1n);
    expect((await catalogs.publish(builtin)).version).toBe(1n);
    expect(await current()).toBe('1');
    expect(await bucket.get(catalogVersionKey(2n))).toBeNull();

    expect((await catalogs.publish(older)).version).toBe(2n);
    const back = await catalogs.publish(builtin);
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
      Array.from({ length: 4 }, () => new Catalogs(bucket).publish(builtin)),
    );
    expect(published.map((catalog) => catalog.version)).toEqual([1n, 1n, 1n, 1n]);
    expect(await current()).toBe('1');
  });

  it('adopts a version a stopped publisher created without making it current', async () => {
    const { bucket, catalogs, current } = await freshCatalogs();
    await catalogs.publish(builtin);
    await bucket.create(
      catalogVersionKey(2n),
      router.ModelCatalog.encode({ ...older, version: 2n }).finish(),
    );
    expect((await catalogs.publish(older)).version).toBe(2n);
    expect(await current()).toBe('2');
    expect(await bucket.get(catalogVersionKey(3n))).toBeNull();
  });

  it('rebuilds the catalog after losing a race, so a model another writer added stays', async () => {
    const { bucket, catalogs } = await freshCatalogs();
    await catalogs.publish(older);
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
        await new Catalogs(bucket).publish({ ...builtin, models: [...stored] });
      }
      return built;
    };
    const published = await catalogs.publish(build);
    expect(sameModels(published, withBoth)).toBe(true);
    expect(sameModels(await catalogs.current(), withBoth)).toBe(true);
    expect(published.version).toBe(2n);
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
