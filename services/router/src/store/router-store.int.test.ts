// The router's indexes on the real Mongo-wire server: a database an earlier release made, with a
// model unique on its name alone, takes a second record of the model once started.
import { type Store, connectStore } from '@keel/store';
import { testServers, uniqueName } from '@keel/testing';
import { dropRetiredIndexes, routerIndexes } from './router-store';

describe('dropRetiredIndexes', () => {
  let store: Store;

  beforeAll(async () => {
    store = await connectStore({
      url: testServers().mongoUrl,
      dbPrefix: uniqueName('retired'),
      service: 'router',
    });
  });

  afterAll(async () => {
    await store.db.dropDatabase();
    await store.close();
  });

  it("drops the models' unique name index, so a scheduled change of a model is stored", async () => {
    // A new database has no models collection yet.
    await dropRetiredIndexes(store);
    const models = store.collection('models');
    await models.createIndex({ name: 1 }, { unique: true });
    await models.insertOne({ name: 'sim-small', effective_at: new Date('2026-01-01T00:00:00Z') });

    await dropRetiredIndexes(store);
    await store.ensureIndexes(routerIndexes);
    await dropRetiredIndexes(store);

    await models.insertOne({ name: 'sim-small', effective_at: new Date('2026-02-01T00:00:00Z') });
    expect(await models.countDocuments({ name: 'sim-small' })).toBe(2);
    expect((await models.indexes()).map((index) => index.name)).not.toContain('name_1');
  });
});
