// A NATS KV bucket with bigint revisions and compare-and-set that fails as KvConflictError.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry as NatsKvEntry, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { pause, restartDelay } from './backoff';
import { KvConflictError } from './errors';
import type { BusLogger } from './logger';

export interface KvEntry {
  value: Uint8Array;
  revision: bigint;
}

export class KvBucket {
  constructor(
    readonly name: string,
    private readonly kv: KV,
    private readonly logger: BusLogger,
  ) {}

  /** The key's current value, or null when it was never set or is deleted. */
  async get(key: string): Promise<KvEntry | null> {
    const entry = await this.kv.get(key);
    return entry && isLive(entry) ? entryOf(entry) : null;
  }

  /** Sets the key whatever its current revision; returns the new revision. */
  async put(key: string, value: Uint8Array): Promise<bigint> {
    return BigInt(await this.kv.put(key, value));
  }

  /** Sets a key that does not exist (or is deleted); KvConflictError when it exists. */
  async create(key: string, value: Uint8Array): Promise<bigint> {
    try {
      return BigInt(await this.kv.create(key, value));
    } catch (error) {
      throw asConflict(error, key, `${this.name}/${key} already exists`);
    }
  }

  /** Sets the key only if it is still at `revision`; KvConflictError when it moved on. */
  async update(key: string, value: Uint8Array, revision: bigint): Promise<bigint> {
    try {
      return BigInt(await this.kv.update(key, value, revisionNumber(revision)));
    } catch (error) {
      throw asConflict(error, key, `${this.name}/${key} is no longer at revision ${revision}`);
    }
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  /**
   * Calls `onEntry` with the key's current value (if any), then with every change: the new
   * value, or null when the key is deleted. A watch that ends unexpectedly is restarted from
   * the key's latest value until `stop()`, so no change is missed for good.
   */
  async watch(key: string, onEntry: (entry: KvEntry | null) => void): Promise<{ stop(): void }> {
    const deliver = (entry: KvEntry | null) => {
      try {
        onEntry(entry);
      } catch (error) {
        this.logger.error({ bucket: this.name, key, err: error }, 'KV watch callback failed');
      }
    };
    let stopped = false;
    let markStopped!: () => void;
    const stopRequested = new Promise<void>((resolve) => (markStopped = resolve));
    let updates: QueuedIterator<KvWatchEntry> | null = await this.kv.watch({ key });
    // Only a value the watcher has seen can be deleted: an absent key starts absent. A restarted
    // watch replays the latest entry, so the last revision seen skips what was delivered.
    let present = false;
    let lastRevision = 0;
    void (async () => {
      let failures = 0;
      while (!stopped) {
        try {
          updates ??= await this.kv.watch({ key });
          if (stopped) updates.stop();
          for await (const entry of updates) {
            if (entry.revision <= lastRevision) continue;
            lastRevision = entry.revision;
            failures = 0;
            if (isLive(entry)) {
              present = true;
              deliver(entryOf(entry));
            } else if (present) {
              present = false;
              deliver(null);
            }
          }
          if (stopped) return;
          this.logger.error({ bucket: this.name, key }, 'KV watch ended: restarting it');
        } catch (error) {
          if (stopped) return;
          this.logger.error(
            { bucket: this.name, key, err: error },
            'KV watch failed: restarting it',
          );
        }
        updates = null;
        failures += 1;
        await pause(restartDelay(failures), stopRequested);
      }
    })();
    return {
      stop: () => {
        stopped = true;
        markStopped();
        updates?.stop();
      },
    };
  }

  /**
   * Calls `onEntry` with the current value of every key matching `filter` (`>`: all), then with
   * every change: the new value, or null when the key is deleted, purged or aged out. A watch
   * that ends unexpectedly is restarted, replaying every key's current value (a deletion made
   * while it was down is not replayed), until `stop()`.
   */
  async watchKeys(
    filter: string,
    onEntry: (key: string, entry: KvEntry | null) => void,
  ): Promise<{ stop(): void }> {
    let stopped = false;
    let markStopped!: () => void;
    const stopRequested = new Promise<void>((resolve) => (markStopped = resolve));
    let updates: QueuedIterator<KvWatchEntry> | null = await this.kv.watch({ key: filter });
    void (async () => {
      let failures = 0;
      while (!stopped) {
        try {
          updates ??= await this.kv.watch({ key: filter });
          if (stopped) updates.stop();
          for await (const entry of updates) {
            failures = 0;
            try {
              onEntry(entry.key, isLive(entry) ? entryOf(entry) : null);
            } catch (error) {
              this.logger.error(
                { bucket: this.name, key: entry.key, err: error },
                'KV watch callback failed',
              );
            }
          }
          if (stopped) return;
          this.logger.error({ bucket: this.name, key: filter }, 'KV watch ended: restarting it');
        } catch (error) {
          if (stopped) return;
          this.logger.error(
            { bucket: this.name, key: filter, err: error },
            'KV watch failed: restarting it',
          );
        }
        updates = null;
        failures += 1;
        await pause(restartDelay(failures), stopRequested);
      }
    })();
    return {
      stop: () => {
        stopped = true;
        markStopped();
        updates?.stop();
      },
    };
  }
}

function isLive(entry: NatsKvEntry): boolean {
  return entry.operation === 'PUT';
}

function entryOf(entry: NatsKvEntry): KvEntry {
  return { value: entry.value, revision: BigInt(entry.revision) };
}

/** The revision as the client's number; a revision past 2^53 - 1 would be silently rounded. */
function revisionNumber(revision: bigint): number {
  if (revision < 0n || revision > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`revision ${revision} is outside 0..${Number.MAX_SAFE_INTEGER}`);
  }
  return Number(revision);
}

function asConflict(error: unknown, key: string, message: string): unknown {
  const lostRace =
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
  return lostRace ? new KvConflictError(key, message, { cause: error }) : error;
}
