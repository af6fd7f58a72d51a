import type { KvBucket, KvEntry } from '@keel/bus';
import { builtinCatalog } from '@keel/catalog';
import { router } from '@keel/contracts';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type GaugeMetricData,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { eventually } from '@keel/testing';
import pino from 'pino';
import { SnapshotFollower } from './follower';

/** A reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

// Delta temporality: each collection holds only what the callbacks observed for it.
const reader = new CollectingReader({
  aggregationTemporalitySelector: () => AggregationTemporality.DELTA,
});
const meterProvider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(meterProvider);
afterAll(() => meterProvider.shutdown());

// What follow() leaves behind when it cannot start both watches: buckets that watch on cue.

describe('SnapshotFollower.follow', () => {
  it('stops the policy watch when the keys watch cannot start', async () => {
    const policyWatch = { stops: 0, stop: () => (policyWatch.stops += 1) };
    const buckets = {
      policy: { watch: async () => policyWatch } as unknown as KvBucket,
      keys: {
        watch: async () => {
          throw new Error('no responders');
        },
      } as unknown as KvBucket,
      catalog: {} as KvBucket,
    };

    await expect(SnapshotFollower.follow(buckets, pino({ level: 'silent' }))).rejects.toThrow(
      'no responders',
    );
    expect(policyWatch.stops).toBe(1);
  });
});

describe('keel.snapshot.age', () => {
  /** Buckets whose watch delivers one entry at once, as a KV watch delivers the current value. */
  function bucketsHolding(policy: Uint8Array, keys: Uint8Array) {
    const holding = (value: Uint8Array) =>
      ({
        watch: async (_key: string, onEntry: (entry: KvEntry) => void) => {
          onEntry({ value, revision: 1n });
          return { stop: () => undefined };
        },
      }) as unknown as KvBucket;
    return { policy: holding(policy), keys: holding(keys), catalog: {} as KvBucket };
  }

  /** The gauge's points by snapshot name, as a reader collects them. */
  async function ages(): Promise<Record<string, number>> {
    const { resourceMetrics } = await reader.collect();
    const gauge = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'keel.snapshot.age') as
      GaugeMetricData | undefined;
    if (gauge) expect(gauge.descriptor.unit).toBe('s');
    return Object.fromEntries(
      (gauge?.dataPoints ?? []).map((point) => [
        point.attributes['keel.snapshot.name'],
        point.value,
      ]),
    );
  }

  it('reports the seconds since each snapshot in use was published, until stopped', async () => {
    const now = Date.now();
    const policy = router.PolicySnapshot.encode(
      router.PolicySnapshot.fromPartial({
        catalog: builtinCatalog(1n),
        publishedAt: new Date(now - 90_000),
      }),
    ).finish();
    const keys = router.KeysSnapshot.encode(
      router.KeysSnapshot.fromPartial({ publishedAt: new Date(now - 30_000) }),
    ).finish();
    const follower = await SnapshotFollower.follow(
      bucketsHolding(policy, keys),
      pino({ level: 'silent' }),
    );
    expect(follower.ready).toBe(true);

    const reported = await ages();
    expect(reported.policy).toBeGreaterThanOrEqual(90);
    expect(reported.policy).toBeLessThan(120);
    expect(reported.keys).toBeGreaterThanOrEqual(30);
    expect(reported.keys).toBeLessThan(60);

    follower.stop();
    expect(await ages()).toEqual({});
  });
});

describe('SnapshotFollower.onPolicySnapshot', () => {
  /** A policy bucket whose watch the test feeds, and a keys bucket with nothing in it. */
  function feedablePolicy() {
    let feed: (entry: KvEntry) => void = () => undefined;
    const buckets = {
      policy: {
        watch: async (_key: string, onEntry: (entry: KvEntry) => void) => {
          feed = onEntry;
          return { stop: () => undefined };
        },
      } as unknown as KvBucket,
      keys: { watch: async () => ({ stop: () => undefined }) } as unknown as KvBucket,
      catalog: {} as KvBucket,
    };
    return { buckets, feed: (entry: KvEntry) => feed(entry) };
  }
  const snapshotNaming = (provider: string) =>
    router.PolicySnapshot.encode(
      router.PolicySnapshot.fromPartial({
        catalog: builtinCatalog(1n),
        providers: [{ name: provider }],
      }),
    ).finish();

  it('hands each applied snapshot, and the one in force when it registers, to the listener', async () => {
    const { buckets, feed } = feedablePolicy();
    const follower = await SnapshotFollower.follow(buckets, pino({ level: 'silent' }));
    feed({ value: snapshotNaming('first'), revision: 1n });
    const seen: string[] = [];
    follower.onPolicySnapshot((snapshot) => seen.push(snapshot.providers[0].name));
    feed({ value: snapshotNaming('second'), revision: 2n });
    expect(seen).toEqual(['first', 'second']);
    expect(follower.policy?.version).toBe(2n);
    follower.stop();
  });

  it('keeps the previous snapshot in force when a listener refuses the new one', async () => {
    const { buckets, feed } = feedablePolicy();
    const follower = await SnapshotFollower.follow(buckets, pino({ level: 'silent' }));
    follower.onPolicySnapshot((snapshot) => {
      if (snapshot.providers[0].name === 'bad') throw new Error('cannot build its providers');
    });
    feed({ value: snapshotNaming('good'), revision: 1n });
    feed({ value: snapshotNaming('bad'), revision: 2n });
    expect(follower.policy?.version).toBe(1n);
    follower.stop();
  });
});

describe('SnapshotFollower reload', () => {
  const keysAt = (keyIds: string[]) =>
    router.KeysSnapshot.encode(
      router.KeysSnapshot.fromPartial({ keys: keyIds.map((keyId) => ({ keyId })) }),
    ).finish();

  it('applies a newer snapshot read directly, and then ignores the watch delivering an older one', async () => {
    let feedKeys: (entry: KvEntry) => void = () => undefined;
    let stored: KvEntry = { value: keysAt(['a']), revision: 1n };
    const buckets = {
      policy: {
        watch: async () => ({ stop: () => undefined }),
        get: async () => null,
      } as unknown as KvBucket,
      keys: {
        watch: async (_key: string, onEntry: (entry: KvEntry) => void) => {
          feedKeys = onEntry;
          return { stop: () => undefined };
        },
        get: async () => stored,
      } as unknown as KvBucket,
      catalog: {} as KvBucket,
    };
    const follower = await SnapshotFollower.follow(buckets, pino({ level: 'silent' }), {
      reloadMs: 10,
    });
    try {
      feedKeys(stored);
      expect(follower.keyRing.version).toBe(1n);
      stored = { value: keysAt([]), revision: 3n };
      await eventually(() => follower.keyRing.version === 3n, { what: 'the reload' });
      // The watch catching up late with revision 2 must not bring back what 3 removed.
      feedKeys({ value: keysAt(['a']), revision: 2n });
      expect(follower.keyRing.version).toBe(3n);
    } finally {
      follower.stop();
    }
  });
});
