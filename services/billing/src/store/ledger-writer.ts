// Writes ledger entries and their rollups a batch at a time. The store loses concurrent updates
// of one document and has no transactions, so:
// - one writer: batches (and reconcile repairs) run one after another, so no rollup document is
//   ever updated by two writes at once;
// - idempotent per batch: a batch's ledger entries name it, and each rollup records the last
//   batch added to it (batch ids grow), so applying a batch again adds nothing. Batches run one
//   after another, so only the newest batch in the ledger can be partly applied: after a start
//   or a failure it is applied again, from the ledger, before the next batch. A crash anywhere
//   between the ledger write and the ack is repaired that way, with no write of its own.
import type { CollectionIndexes, Store } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import { type Collection, MongoBulkWriteError } from 'mongodb';
import { type Rollup, addTotals, rollupDeltas, sameTotals } from '../domain/usage';
import { LEDGER, type LedgerDocument, billedInferenceOf, ledgerIndexes } from './ledger';
import {
  ROLLUPS,
  type RollupDocument,
  addToRollup,
  findRollups,
  lastBatchIn,
  rollupOf,
  setRollup,
} from './rollups';
import { UnpricedCalls } from './unpriced-calls';

export const ledgerWriterIndexes: CollectionIndexes = {
  ...ledgerIndexes,
  [ROLLUPS]: [{ key: { tenant_id: 1, hour: 1 } }],
};

export interface Reconciliation {
  checked: number;
  mismatches: Array<{ key: string; rolledUp: Rollup | null; ledger: Rollup | null }>;
  repaired: boolean;
}

export class LedgerWriter {
  /** Set at start and after any failure: the newest batch is applied again before the next. */
  private recoveryNeeded = true;
  private queue: Promise<unknown> = Promise.resolve();
  private written = 0;
  private readonly unpricedCalls = new UnpricedCalls();

  private constructor(
    readonly ledger: Collection<LedgerDocument>,
    readonly rollups: Collection<RollupDocument>,
    private readonly batchIds: BatchIds,
    private readonly logger: Logger,
    /** Test-only fault: SIGKILL right after this many ledger inserts (see config.ts). */
    private readonly killAfterWrites?: number,
  ) {}

  static async open(store: Store, logger: Logger, killAfterWrites?: number): Promise<LedgerWriter> {
    await store.ensureIndexes(ledgerWriterIndexes);
    const ledger = store.collection<LedgerDocument>(LEDGER);
    const rollups = store.collection<RollupDocument>(ROLLUPS);
    const floor = [await lastBatchIn(rollups), await newestBatchIn(ledger)].sort().at(-1)!;
    return new LedgerWriter(ledger, rollups, new BatchIds(floor), logger, killAfterWrites);
  }

  /**
   * Stores the entries a batch billed and adds them to the rollups; returns each entry as
   * stored (a redelivered one as its first delivery stored it), in order.
   */
  write(entries: Array<Omit<LedgerDocument, 'batch_id'>>): Promise<LedgerDocument[]> {
    return this.exclusive(async () => {
      const batchId = this.batchIds.next();
      const docs = entries.map((entry) => ({ ...entry, batch_id: batchId }));
      const duplicates = await this.insertNew(docs);
      const inserted = docs.filter((_, index) => !duplicates.has(index));
      this.written += inserted.length;
      // Test-only fault: die between the write and the ack, as a crash there would.
      if (this.killAfterWrites !== undefined && this.written >= this.killAfterWrites) {
        process.kill(process.pid, 'SIGKILL');
      }
      await this.applyBatch(batchId, inserted);
      this.unpricedCalls.count(inserted);
      // Redelivered entries were added to the rollups by the batch that wrote them.
      return Promise.all(
        docs.map((doc, index) => (duplicates.has(index) ? this.storedEntry(doc) : doc)),
      );
    });
  }

  /**
   * Compares each rollup with the sum of its ledger entries (of one tenant, or of all) and,
   * with `repair`, sets those that differ to the ledger's sums.
   */
  reconcile(tenantId: string | null, repair: boolean): Promise<Reconciliation> {
    return this.exclusive(async () => {
      const fromLedger = new Map<string, Rollup>();
      for await (const doc of this.ledger.find(tenantId ? { tenant_id: tenantId } : {})) {
        for (const [key, rollup] of rollupDeltas([billedInferenceOf(doc)])) {
          const into = fromLedger.get(key);
          if (into) addTotals(into.totals, rollup.totals);
          else fromLedger.set(key, rollup);
        }
      }
      const rolledUp = new Map<string, Rollup>();
      for (const doc of await this.rollups
        .find(tenantId ? { tenant_id: tenantId } : {})
        .toArray()) {
        rolledUp.set(doc._id, rollupOf(doc));
      }
      const keys = new Set([...fromLedger.keys(), ...rolledUp.keys()]);
      const mismatches: Reconciliation['mismatches'] = [];
      for (const key of [...keys].sort()) {
        const ledger = fromLedger.get(key) ?? null;
        const rollup = rolledUp.get(key) ?? null;
        if (!rollup || !ledger || !sameTotals(rollup.totals, ledger.totals)) {
          mismatches.push({ key, rolledUp: rollup, ledger });
        }
      }
      if (repair) {
        for (const { key, ledger } of mismatches) {
          if (ledger) await setRollup(this.rollups, key, ledger);
          else await this.rollups.deleteOne({ _id: key });
        }
      }
      return { checked: keys.size, mismatches, repaired: repair && mismatches.length > 0 };
    });
  }

  /** Reads the rollups for a report. */
  findRollups(query: Parameters<typeof findRollups>[1]): Promise<Rollup[]> {
    return findRollups(this.rollups, query);
  }

  /** Runs `task` after every earlier one; after a failure, the newest batch is applied first. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.recoveryNeeded) await this.recover();
      try {
        return await task();
      } catch (error) {
        this.recoveryNeeded = true;
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Applies the newest batch in the ledger again: a crash or a failure may have cut it short. */
  private async recover(): Promise<void> {
    const batchId = await newestBatchIn(this.ledger);
    if (batchId) {
      const entries = await this.ledger.find({ batch_id: batchId }).toArray();
      this.logger.info(
        { batch_id: batchId, entries: entries.length },
        'applying the newest batch of the ledger again, in case it was cut short',
      );
      await this.applyBatch(batchId, entries);
    }
    this.recoveryNeeded = false;
  }

  /** Adds the batch's entries to the rollups, each rollup once. */
  private async applyBatch(batchId: string, entries: LedgerDocument[]): Promise<void> {
    for (const [key, delta] of rollupDeltas(entries.map(billedInferenceOf))) {
      await addToRollup(this.rollups, key, delta, batchId);
    }
  }

  /** Inserts what is new; returns the indexes of the entries already in the ledger. */
  private async insertNew(docs: LedgerDocument[]): Promise<Set<number>> {
    if (docs.length === 0) return new Set();
    try {
      await this.ledger.insertMany(docs, { ordered: false });
      return new Set();
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const failures = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      const other = failures.find((failure) => failure.code !== 11000);
      if (other) throw error;
      return new Set(failures.map((failure) => failure.index));
    }
  }

  private async storedEntry(doc: LedgerDocument): Promise<LedgerDocument> {
    const stored = await this.ledger.findOne(
      { tenant_id: doc.tenant_id, inference_id: doc.inference_id },
      { projection: { _id: 0 } },
    );
    // A duplicate that cannot be read back was deleted in between: retrying sorts it out.
    if (!stored) throw new Error(`ledger entry ${doc.inference_id} vanished`);
    return stored;
  }
}

/** The greatest batch id of the ledger's entries; '' for an empty ledger. */
async function newestBatchIn(ledger: Collection<LedgerDocument>): Promise<string> {
  const [newest] = await ledger
    .find({}, { projection: { batch_id: 1 } })
    .sort({ batch_id: -1 })
    .limit(1)
    .toArray();
  return newest?.batch_id ?? '';
}

/**
 * Batch ids that sort in the order they were made, across restarts: the time in milliseconds
 * and a counter, never below the last id the store holds.
 */
export class BatchIds {
  private ms: number;
  private counter: number;

  constructor(floor: string) {
    const [ms, counter] = floor.split('-').map(Number);
    this.ms = Number.isFinite(ms) ? ms : 0;
    this.counter = Number.isFinite(counter) ? counter : 0;
  }

  next(): string {
    const now = Date.now();
    if (now > this.ms) {
      this.ms = now;
      this.counter = 0;
    } else {
      this.counter += 1;
    }
    return `${String(this.ms).padStart(15, '0')}-${String(this.counter).padStart(9, '0')}`;
  }
}
