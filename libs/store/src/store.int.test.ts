import { testServers, uniqueName } from '@keel/testing';
import {
  connectStore,
  insertOnce,
  insertOnceOrGet,
  isDuplicateKeyError,
  type CollectionIndexes,
  type Store,
} from './index';

interface LedgerEntry {
  tenant_id: string;
  inference_id: string;
  cost_nano_usd: bigint;
}

describe('Store on the real server', () => {
  let store: Store;

  beforeAll(async () => {
    store = await connectStore({
      url: testServers().mongoUrl,
      dbPrefix: uniqueName('store'),
      service: 'billing',
    });
    await store.ensureIndexes({
      ledger: [{ key: { tenant_id: 1, inference_id: 1 }, unique: true }],
      numbers: [{ key: { tenant_id: 1, name: 1 }, unique: true }],
    });
  });

  afterAll(async () => {
    await store.db.dropDatabase();
    await store.close();
  });

  it('names the database after the prefix and the service', () => {
    expect(store.db.databaseName).toMatch(/^store[0-9a-f]{10}_billing$/);
  });

  it('inserts a document once and reports the second insert as a duplicate', async () => {
    const ledger = store.collection<LedgerEntry>('ledger');
    const entry = () => ({ tenant_id: 't1', inference_id: 'i1', cost_nano_usd: 42n });

    expect(await insertOnce(ledger, entry())).toBe('inserted');
    expect(await insertOnce(ledger, entry())).toBe('duplicate');
    // The same inference id under another tenant is another document.
    expect(await insertOnce(ledger, { ...entry(), tenant_id: 't2' })).toBe('inserted');

    expect(await ledger.countDocuments({ tenant_id: 't1', inference_id: 'i1' })).toBe(1);
    const error = await ledger.insertOne(entry()).then(
      () => null,
      (rejection: unknown) => rejection,
    );
    expect(isDuplicateKeyError(error)).toBe(true);
    expect(isDuplicateKeyError(new Error('E11000'))).toBe(false);
  });

  it('inserts a document once and hands every later insert the one stored first', async () => {
    const ledger = store.collection<LedgerEntry>('ledger');
    const key = { tenant_id: 't1', inference_id: uniqueName('i') };
    const first = { ...key, cost_nano_usd: 42n };

    const inserted = await insertOnceOrGet(ledger, first, key);
    expect(inserted).toEqual({ inserted: true, stored: { ...first, _id: expect.anything() } });
    expect(first).not.toHaveProperty('_id');

    const again = await insertOnceOrGet(ledger, { ...key, cost_nano_usd: 7n }, key);
    expect(again).toEqual({ inserted: false, stored: inserted.stored });
    expect(await ledger.countDocuments(key)).toBe(1);
  });

  it('throws when a duplicate cannot be read back by its key', async () => {
    const ledger = store.collection<LedgerEntry>('ledger');
    const doc = { tenant_id: 't1', inference_id: uniqueName('i'), cost_nano_usd: 1n };
    await ledger.insertOne({ ...doc });

    // The key names no document, as when the duplicate was deleted after the insert failed.
    const gone = { tenant_id: 't1', inference_id: uniqueName('gone') };
    await expect(insertOnceOrGet(ledger, { ...doc }, gone)).rejects.toThrow(
      `the document { tenant_id: 't1', inference_id: '${gone.inference_id}' } vanished`,
    );
  });

  it.each([
    ['2^62', 2n ** 62n],
    ['the int64 minimum', -(2n ** 63n)],
    ['the int64 maximum', 2n ** 63n - 1n],
  ])('round-trips %s as an exact bigint', async (_label, value) => {
    const numbers = store.collection<{ tenant_id: string; name: string; value: bigint }>('numbers');
    const name = uniqueName('n');
    await numbers.insertOne({ tenant_id: 't1', name, value });

    const found = await numbers.findOne({ tenant_id: 't1', name });
    expect(found?.value).toBe(value);
    expect(typeof found?.value).toBe('bigint');
    // The server compares it as the int64 it is.
    expect(await numbers.countDocuments({ tenant_id: 't1', name, value })).toBe(1);
  });

  it('keeps $inc on a bigint field exact', async () => {
    const numbers = store.collection<{ tenant_id: string; name: string; value: bigint }>('numbers');
    const name = uniqueName('n');
    await numbers.insertOne({ tenant_id: 't1', name, value: 2n ** 62n });

    await numbers.updateOne({ tenant_id: 't1', name }, { $inc: { value: 1n } });
    await numbers.updateOne({ tenant_id: 't1', name }, { $inc: { value: 2n ** 60n + 3n } });

    const found = await numbers.findOne({ tenant_id: 't1', name });
    expect(found?.value).toBe(2n ** 62n + 2n ** 60n + 4n);
  });

  it('creates indexes idempotently', async () => {
    const indexes: CollectionIndexes = {
      ledger: [{ key: { tenant_id: 1, inference_id: 1 }, unique: true }],
      keys: [
        { key: { key_id: 1 }, unique: true, global: true },
        { key: { tenant_id: 1, created_at: -1 }, name: 'by_tenant_newest' },
      ],
    };
    await store.ensureIndexes(indexes);
    await store.ensureIndexes(indexes);

    const names = (await store.collection('keys').indexes()).map((index) => index.name).sort();
    expect(names).toEqual(['_id_', 'by_tenant_newest', 'key_id_1']);
    const keyId = (await store.collection('keys').indexes()).find((i) => i.name === 'key_id_1');
    expect(keyId?.unique).toBe(true);
  });

  it('refuses a unique index that does not begin with tenant_id', async () => {
    await expect(
      store.ensureIndexes({ feedback: [{ key: { inference_id: 1, tenant_id: 1 }, unique: true }] }),
    ).rejects.toThrow(
      'unique index {"inference_id":1,"tenant_id":1} on feedback must begin with tenant_id',
    );
    expect(await store.db.listCollections({ name: 'feedback' }).toArray()).toEqual([]);
  });
});
