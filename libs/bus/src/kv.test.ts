import type { KV, KvWatchEntry } from '@nats-io/kv';
import { eventually } from '@keel/testing';
import pino from 'pino';
import { KvBucket, type KvEntry } from './kv';

// The watch's restart, on a KV whose watches end or fail on cue: a real server's watch does
// not end while its connection is open, so these cases cannot be provoked there.

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

const text = (value: string) => new TextEncoder().encode(value);
const read = (entry: KvEntry | null) => (entry ? new TextDecoder().decode(entry.value) : null);

function put(revision: number, value: string): KvWatchEntry {
  return { operation: 'PUT', revision, value: text(value) } as KvWatchEntry;
}

function del(revision: number): KvWatchEntry {
  return { operation: 'DEL', revision, value: new Uint8Array() } as KvWatchEntry;
}

/** A watch that yields `entries`, then ends, fails with `failure`, or stays open until stopped. */
function scriptedWatch(entries: KvWatchEntry[], end: 'ends' | Error | 'stays open') {
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const watch = {
    stops: 0,
    stop() {
      watch.stops += 1;
      markStopped();
    },
    async *[Symbol.asyncIterator]() {
      yield* entries;
      if (end instanceof Error) throw end;
      if (end === 'stays open') await stopped;
    },
  };
  return watch;
}

function bucketWith(watches: ReturnType<typeof scriptedWatch>[]) {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const remaining = [...watches];
  const kv = { watch: async () => remaining.shift() } as unknown as KV;
  return { bucket: new KvBucket('policy', kv, logger), lines };
}

describe('KvBucket.watch', () => {
  it('restarts a watch that ends, from the latest value, without repeating what was seen', async () => {
    const last = scriptedWatch([put(3, 'v3'), put(4, 'v4'), del(5), put(6, 'v6')], 'stays open');
    const { bucket, lines } = bucketWith([scriptedWatch([put(3, 'v3')], 'ends'), last]);
    const seen: (string | null)[] = [];

    const watch = await bucket.watch('snapshot', (entry) => seen.push(read(entry)));
    await eventually(() => seen.length === 4, { what: 'the changes after the restart' });
    watch.stop();

    expect(seen).toEqual(['v3', 'v4', null, 'v6']);
    expect(last.stops).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'KV watch ended: restarting it', bucket: 'policy' }),
    );
  });

  it('restarts a watch that fails, and stops for good once stopped', async () => {
    const last = scriptedWatch([put(8, 'v8')], 'stays open');
    const { bucket, lines } = bucketWith([
      scriptedWatch([put(7, 'v7')], new Error('connection reset')),
      last,
    ]);
    const seen: (string | null)[] = [];

    const watch = await bucket.watch('snapshot', (entry) => seen.push(read(entry)));
    await eventually(() => seen.length === 2, { what: 'the change after the restart' });
    watch.stop();

    expect(seen).toEqual(['v7', 'v8']);
    expect(last.stops).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'KV watch failed: restarting it',
        err: expect.objectContaining({ message: 'connection reset' }),
      }),
    );
  });
});
