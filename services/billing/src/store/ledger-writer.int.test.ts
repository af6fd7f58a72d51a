// The ledger writer on the real store: a batch left pending by a crash is added to the rollups
// once, and a batch applied again adds nothing.
import { type Store, connectStore } from '@keel/store';
import { testServers, uniqueName } from '@keel/testing';
import pino from 'pino';
import { BatchIds, LedgerWriter } from './ledger-writer';
import type { LedgerDocument } from './ledger';
import { addToRollup, rollupOf } from './rollups';
import { rollupDeltas } from '../domain/usage';
import { billedInferenceOf } from './ledger';

function entry(inferenceId: string): Omit<LedgerDocument, 'batch_id'> {
  return {
    tenant_id: 'acme',
    inference_id: inferenceId,
    function_name: 'f',
    variant_name: 'v',
    model: 'sim-small',
    provider: 'sim',
    catalog_version: 1n,
    line_items: [
      {
        model: 'sim-small',
        provider: 'sim',
        input_tokens: 10n,
        output_tokens: 5n,
        cached_input_tokens: 0n,
        cache_write_input_tokens: 0n,
        reasoning_tokens: 0n,
        cost_nano_usd: 100n,
        failed: false,
        unpriced: false,
      },
    ],
    total_nano_usd: 100n,
    unpriced: false,
    cache_hit: false,
    semantic_cache_hit: false,
    cache_saved_nano_usd: 0n,
    occurred_at: new Date('2026-11-28T10:00:00Z'),
    recorded_at: new Date(),
  };
}

describe('LedgerWriter', () => {
  let store: Store;

  beforeEach(async () => {
    store = await connectStore({
      url: testServers().mongoUrl,
      dbPrefix: uniqueName('ledw'),
      service: 'billing',
    });
  });

  afterEach(async () => {
    await store.db.dropDatabase();
    await store.close();
  });

  it('adds a batch a crash cut short to the rollups once, before the next batch', async () => {
    const first = await LedgerWriter.open(store, pino({ level: 'silent' }));
    await first.write([entry('i1')]);
    // A process that died after its ledger insert: the batch is in the ledger, not the rollups.
    const crashedBatch = new BatchIds('').next();
    await first.ledger.insertMany(
      ['i2', 'i3'].map((id) => ({ ...entry(id), batch_id: crashedBatch })),
    );

    const restarted = await LedgerWriter.open(store, pino({ level: 'silent' }));
    // The redelivered i2 is found, not added again; i4 is new.
    const stored = await restarted.write([entry('i2'), entry('i4')]);

    expect(stored.map((doc) => [doc.inference_id, doc.batch_id])).toEqual([
      ['i2', crashedBatch],
      ['i4', expect.not.stringMatching(crashedBatch)],
    ]);
    const [rollup] = await restarted.rollups.find().toArray();
    expect(rollupOf(rollup).totals).toMatchObject({ inferences: 4n, costNanoUsd: 400n });
    expect(await restarted.reconcile(null, false)).toMatchObject({ checked: 1, mismatches: [] });
  });

  it('adds nothing when a batch is applied to a rollup again', async () => {
    const writer = await LedgerWriter.open(store, pino({ level: 'silent' }));
    await writer.write([entry('i1')]);
    const [doc] = await writer.ledger.find().toArray();
    const [[key, delta]] = rollupDeltas([billedInferenceOf(doc)]);

    expect(await addToRollup(writer.rollups, key, delta, doc.batch_id)).toBe('already-added');
    const [rollup] = await writer.rollups.find().toArray();
    expect(rollupOf(rollup).totals.inferences).toBe(1n);
  });

  it('makes batch ids that sort after the greatest one stored, even if the clock went back', () => {
    const ahead = `${String(Date.now() + 60_000).padStart(15, '0')}-000000007`;
    const ids = new BatchIds(ahead);
    const [a, b] = [ids.next(), ids.next()];
    expect([ahead, a, b].sort()).toEqual([ahead, a, b]);
    expect(new Set([ahead, a, b]).size).toBe(3);
  });
});
