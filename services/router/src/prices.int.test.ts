// PutModel with an effective time: a change scheduled ahead is a catalog version published at
// once (billing reads it by number) and carried by the policy snapshot as scheduled, while the
// catalog in effect stays; a time in the past is refused; a model may have no price.
import { status } from '@grpc/grpc-js';
import { builtinCatalog, findModel } from '@keel/catalog';
import { router } from '@keel/contracts';
import { catalogVersionKey } from '@keel/snapshots';
import { uniqueName } from '@keel/testing';
import { SnapshotReader, startTestRouter, type TestRouter } from './router.fixture';

const simSmall = findModel(builtinCatalog(0n), 'sim-small')!;
const repriced = router.Model.fromPartial({
  ...simSmall,
  price: { ...simSmall.price!, inputNanoUsdPerMtok: 1n, reasoningNanoUsdPerMtok: 2n },
});
const HOUR_MS = 3_600_000;

describe('model changes over time', () => {
  const prefix = uniqueName('rt');
  let r: TestRouter;
  let reader: SnapshotReader;
  let tenantAdmin: string;

  beforeAll(async () => {
    r = await startTestRouter(prefix);
    reader = await SnapshotReader.open(prefix);
    tenantAdmin = (
      await r.client.createTenant(r.operatorToken, {
        name: 'Acme',
        keyScopes: [router.ApiKeyScope.API_KEY_SCOPE_ADMIN],
      })
    ).apiKeySecret;
  });

  afterAll(async () => {
    await reader?.close();
    await r?.stop();
  });

  const catalogNow = async () => (await r.client.getCatalog(r.operatorToken)).catalog!;

  it('refuses an effective time in the past with INVALID_ARGUMENT naming effective_at', async () => {
    const before = await catalogNow();
    const call = r.client.putModel(r.operatorToken, repriced, new Date(Date.now() - 60_000));
    await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(call).rejects.toThrow(/effective_at: .* is in the past/);
    expect(await catalogNow()).toEqual(before);
  });

  it('publishes a scheduled version at once, carried by the policy snapshot until its time', async () => {
    const before = await catalogNow();
    const effectiveAt = new Date(Date.now() + HOUR_MS);
    const scheduled = (await r.client.putModel(r.operatorToken, repriced, effectiveAt)).catalog!;
    expect(scheduled).toMatchObject({ version: before.version + 1n, effectiveAt });
    expect(findModel(scheduled, 'sim-small')).toEqual(repriced);

    const stored = await reader.buckets.catalog.get(catalogVersionKey(scheduled.version));
    expect(router.ModelCatalog.decode(stored!.value)).toEqual(scheduled);
    const { snapshot } = await reader.policy();
    expect(snapshot.catalog).toEqual(before);
    expect(snapshot.scheduledCatalogs).toEqual([scheduled]);
    // Routing now still uses the catalog in effect.
    const { decision } = await r.client.route(tenantAdmin, {});
    expect(decision?.catalogVersion).toBe(before.version);
    expect(await catalogNow()).toEqual(before);
  });

  it('keeps a scheduled change when a model is put for now, in a version that holds both', async () => {
    const before = await catalogNow();
    const { snapshot } = await reader.policy();
    const [earlier] = snapshot.scheduledCatalogs;
    const unpriced = router.Model.fromPartial({
      ...simSmall,
      name: 'sim-unpriced',
      price: undefined,
    });
    const put = (await r.client.putModel(r.operatorToken, unpriced)).catalog!;
    expect(put.version).toBeGreaterThan(before.version);
    expect(findModel(put, 'sim-unpriced')?.price).toBeUndefined();
    expect(findModel(put, 'sim-small')).toEqual(simSmall);

    const after = (await reader.policy()).snapshot;
    expect(after.catalog).toEqual(put);
    // The earlier scheduled version lacks the new model, so a later one replaces it at its time.
    expect(after.scheduledCatalogs).toHaveLength(1);
    const [rescheduled] = after.scheduledCatalogs;
    expect(rescheduled.effectiveAt).toEqual(earlier.effectiveAt);
    expect(rescheduled.version).toBeGreaterThan(put.version);
    expect(findModel(rescheduled, 'sim-small')).toEqual(repriced);
    expect(findModel(rescheduled, 'sim-unpriced')).toEqual(unpriced);
  });

  it('rebuilds the same versions, scheduled ones included, after a restart', async () => {
    const before = await reader.policy();
    await r.stop();
    r = await startTestRouter(prefix);
    const after = await reader.policy();
    expect(after.snapshot.catalog).toEqual(before.snapshot.catalog);
    expect(after.snapshot.scheduledCatalogs).toEqual(before.snapshot.scheduledCatalogs);
  });
});
