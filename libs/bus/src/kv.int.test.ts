import { testServers, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { type Bus, type KvBucket, KvConflictError, type KvEntry, connectBus } from './index';

const text = (value: string) => new TextEncoder().encode(value);
const read = (entry: KvEntry | null) => (entry ? new TextDecoder().decode(entry.value) : null);

let bus: Bus;
let bucket: KvBucket;

beforeAll(async () => {
  bus = await connectBus({
    servers: testServers().natsUrl,
    name: 'bus-kv-test',
    prefix: uniqueName('t'),
    logger: pino({ level: 'silent' }),
  });
  bucket = await bus.kv(uniqueName('kv'));
});

afterAll(async () => {
  await bus.drain();
});

/** Resolves with what a watcher has seen once it has seen `count` entries. */
function collect(count: number) {
  const seen: (string | null)[] = [];
  let complete!: () => void;
  const completed = new Promise<void>((resolve) => (complete = resolve));
  const onEntry = (entry: KvEntry | null) => {
    seen.push(read(entry));
    if (seen.length === count) complete();
  };
  return { seen, completed, onEntry };
}

describe('KvBucket', () => {
  it('stores a value and reads it back with its revision', async () => {
    const revision = await bucket.put('tenant.a', text('v1'));

    const entry = await bucket.get('tenant.a');

    expect(read(entry)).toBe('v1');
    expect(entry?.revision).toBe(revision);
    expect(typeof revision).toBe('bigint');
    expect(await bucket.get('tenant.never-set')).toBeNull();
  });

  it('lets one of two updates from the same revision win and the other conflict', async () => {
    const revision = await bucket.put('policy', text('v1'));

    const outcomes = await Promise.allSettled([
      bucket.update('policy', text('from-a'), revision),
      bucket.update('policy', text('from-b'), revision),
    ]);

    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(KvConflictError);
    const current = await bucket.get('policy');
    expect(current?.revision).toBe((won[0] as PromiseFulfilledResult<bigint>).value);
    expect(read(current)).toBe(outcomes[0].status === 'fulfilled' ? 'from-a' : 'from-b');
  });

  it('refuses a revision past Number.MAX_SAFE_INTEGER rather than rounding it', async () => {
    await bucket.put('huge', text('v1'));
    const unsafe = BigInt(Number.MAX_SAFE_INTEGER) + 2n;

    await expect(bucket.update('huge', text('v2'), unsafe)).rejects.toBeInstanceOf(RangeError);
    expect(read(await bucket.get('huge'))).toBe('v1');
  });

  it('refuses to create a key that exists, and creates one again after a delete', async () => {
    await bucket.create('snapshot', text('v1'));

    await expect(bucket.create('snapshot', text('v2'))).rejects.toBeInstanceOf(KvConflictError);
    expect(read(await bucket.get('snapshot'))).toBe('v1');

    await bucket.delete('snapshot');
    expect(await bucket.get('snapshot')).toBeNull();
    await bucket.create('snapshot', text('v3'));
    expect(read(await bucket.get('snapshot'))).toBe('v3');
  });

  it('watches a key: its current value first, then each change, null on delete', async () => {
    await bucket.put('watched', text('current'));
    await bucket.put('neighbour', text('unrelated'));
    const first = collect(1);
    const rest = collect(4);
    const watcher = await bucket.watch('watched', (entry) => {
      first.onEntry(entry);
      rest.onEntry(entry);
    });
    await first.completed;

    await bucket.put('watched', text('next'));
    await bucket.put('neighbour', text('still unrelated'));
    await bucket.delete('watched');
    await bucket.put('watched', text('back'));
    await rest.completed;
    watcher.stop();

    expect(rest.seen).toEqual(['current', 'next', null, 'back']);
  });

  it('watches an absent key (never set, or deleted) from its next value', async () => {
    await bucket.put('deleted', text('gone'));
    await bucket.delete('deleted');
    const neverSet = collect(1);
    const deleted = collect(1);
    const watchers = [
      await bucket.watch('never-set', neverSet.onEntry),
      await bucket.watch('deleted', deleted.onEntry),
    ];

    await bucket.put('never-set', text('first'));
    await bucket.put('deleted', text('again'));
    await Promise.all([neverSet.completed, deleted.completed]);
    watchers.forEach((watcher) => watcher.stop());

    expect(neverSet.seen).toEqual(['first']);
    expect(deleted.seen).toEqual(['again']);
  });

  it('opens an existing bucket, and creates one with the history and TTL asked for', async () => {
    const name = uniqueName('kv');
    const created = await bus.kv(name, { history: 5, ttlMs: 60_000 });
    await created.put('key', text('kept'));

    const reopened = await bus.kv(name, { history: 5, ttlMs: 60_000 });

    expect(read(await reopened.get('key'))).toBe('kept');
    const jsm = await jetstreamManager(bus.connection);
    const { config } = await jsm.streams.info(`KV_${name}`);
    expect(config.max_msgs_per_subject).toBe(5);
    expect(config.max_age).toBe(60_000 * 1e6);
  });
});
