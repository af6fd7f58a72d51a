// The router's record of each variant's latest gate result, on the real Mongo-wire server: a
// redelivered event changes nothing, and an older experiment's late event never replaces a
// newer one's result.
import { type Store, connectStore } from '@keel/store';
import { testServers, uniqueName } from '@keel/testing';
import { type VariantGateDoc, VariantGateStore } from './variant-gates';

describe('VariantGateStore', () => {
  let store: Store;
  let gates: VariantGateStore;

  beforeAll(async () => {
    store = await connectStore({
      url: testServers().mongoUrl,
      dbPrefix: uniqueName('gates'),
      service: 'router',
    });
    await store.ensureIndexes({
      variant_gates: [{ key: { tenant_id: 1, function_name: 1, variant_name: 1 }, unique: true }],
    });
    gates = new VariantGateStore(store.collection<VariantGateDoc>('variant_gates'));
  });

  afterAll(async () => {
    await store.db.dropDatabase();
    await store.close();
  });

  const result = (experimentId: string, passed: boolean, completedAt: string) => ({
    tenantId: 'acme',
    functionName: 'math',
    variantName: 'weak',
    experimentId,
    passed,
    failures: passed ? [] : ['mean score 0.300 is below the minimum 0.900'],
    completedAt: new Date(completedAt),
  });

  it('keeps the latest experiment: a repeat changes nothing, an older one never replaces it', async () => {
    const newer = result('exp-2', true, '2026-12-01T10:00:00Z');
    await gates.record(result('exp-1', false, '2026-12-01T09:00:00Z'));
    await gates.record(newer);
    await gates.record(newer);
    await gates.record(result('exp-1', false, '2026-12-01T09:00:00Z'));

    expect(await gates.latest('acme', 'math', 'weak')).toEqual(newer);
    expect(await store.collection('variant_gates').countDocuments({})).toBe(1);
    expect(await gates.latest('globex', 'math', 'weak')).toBeNull();
  });
});
