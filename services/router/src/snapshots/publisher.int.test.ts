import { router } from '@keel/contracts';
import { SNAPSHOT_KEY } from '@keel/snapshots';
import { eventually } from '@keel/testing';
import { SnapshotReader, startTestRouter, type TestRouter } from '../router.fixture';

describe('snapshot publishing across router replicas', () => {
  let a: TestRouter;
  let b: TestRouter;
  let reader: SnapshotReader;

  beforeAll(async () => {
    a = await startTestRouter();
    // A second replica on the same bus and database, as a scaled-out deployment runs.
    b = await startTestRouter(a.prefix);
    reader = await SnapshotReader.open(a.prefix);
  });

  afterAll(async () => {
    await reader.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  it('loses no change when replicas publish at the same time (compare-and-set)', async () => {
    const operator = a.operatorToken;
    const { tenant } = await a.client.createTenant(operator, { name: 'Acme' });
    const tenantId = tenant!.tenantId;
    const names = Array.from({ length: 8 }, (_, i) => `fn-${i}`);
    // Every policy snapshot from now on, by version: the bucket keeps too few to read back.
    const seen = new Map<bigint, router.PolicySnapshot>();
    const watch = await reader.buckets.policy.watch(SNAPSHOT_KEY, (entry) => {
      if (entry) seen.set(entry.revision, router.PolicySnapshot.decode(entry.value));
    });
    await eventually(() => seen.size > 0, { what: 'the current policy snapshot' });

    const puts = await Promise.all(
      names.map((functionName, i) =>
        (i % 2 === 0 ? a : b).client.putFunction(operator, {
          tenantId,
          functionName,
          variants: [{ variantName: 'v', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
        }),
      ),
    );

    const { snapshot, version } = await reader.policy();
    const functions = snapshot.tenants.find((t) => t.tenantId === tenantId)?.functions ?? [];
    expect(functions.map((f) => f.functionName)).toEqual(['default', ...names]);
    // Every call answered with a version whose snapshot already held its change.
    await eventually(() => seen.has(version), { what: 'the final policy snapshot watched' });
    watch.stop();
    const functionsAt = (policyVersion: bigint) =>
      seen
        .get(policyVersion)
        ?.tenants.find((t) => t.tenantId === tenantId)
        ?.functions.map((f) => f.functionName);
    names.forEach((functionName, i) => {
      expect(functionsAt(puts[i].policyVersion)).toContain(functionName);
    });

    // Both replicas route from the same final snapshot.
    for (const replica of [a, b]) {
      await eventually(
        async () => {
          const routed = await replica.client.route(operator, { tenantId, functionName: 'fn-7' });
          return routed.decision?.policyVersion === version;
        },
        { what: 'replica on the final policy' },
      );
    }
  });

  it('publishes keys created on either replica, and each replica accepts them', async () => {
    const operator = b.operatorToken;
    const created = await Promise.all(
      [a, b, a, b].map((replica, i) =>
        replica.client.createTenant(operator, {
          name: `T${i}`,
          keyScopes: [router.ApiKeyScope.API_KEY_SCOPE_INFERENCE],
        }),
      ),
    );
    const { snapshot } = await reader.keys();
    const published = snapshot.keys.map((key) => key.keyId);
    for (const { apiKey, apiKeySecret } of created) {
      expect(published).toContain(apiKey!.keyId);
      for (const replica of [a, b]) {
        await eventually(async () => (await replica.client.route(apiKeySecret, {})).decision, {
          what: 'key accepted by both replicas',
        });
      }
    }
  });
});
