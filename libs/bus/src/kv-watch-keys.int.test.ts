import { testServers, uniqueName } from '@keel/testing';
import pino from 'pino';
import { type Bus, type KvBucket, type KvEntry, connectBus } from './index';

const text = (value: string) => new TextEncoder().encode(value);
const read = (entry: KvEntry | null) => (entry ? new TextDecoder().decode(entry.value) : null);

let bus: Bus;
let bucket: KvBucket;

beforeAll(async () => {
  bus = await connectBus({
    servers: testServers().natsUrl,
    name: 'bus-kv-watch-keys-test',
    prefix: uniqueName('t'),
    logger: pino({ level: 'silent' }),
  });
  bucket = await bus.kv(uniqueName('kv'));
});

afterAll(async () => {
  await bus.drain();
});

describe('KvBucket.watchKeys', () => {
  it('replays the current value of every matching key, then each change with its key', async () => {
    await bucket.put('acme.f.1', text('first'));
    await bucket.put('globex.f.1', text('other tenant'));
    const seen: Array<[string, string | null]> = [];
    let reached!: () => void;
    const allSeen = new Promise<void>((resolve) => (reached = resolve));
    const watch = await bucket.watchKeys('acme.>', (key, entry) => {
      seen.push([key, read(entry)]);
      if (seen.length === 3) reached();
    });

    await bucket.put('acme.f.2', text('second'));
    await bucket.delete('acme.f.1');
    await allSeen;
    watch.stop();

    expect(seen).toEqual([
      ['acme.f.1', 'first'],
      ['acme.f.2', 'second'],
      ['acme.f.1', null],
    ]);
  });
});
