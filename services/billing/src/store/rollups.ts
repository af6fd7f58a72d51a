// The hourly rollups: one document per tenant, function, variant, model, provider and hour,
// holding the sums of its ledger entries. A batch adds its deltas with `$inc` guarded by the
// batch id (see ledger-writer.ts), so a batch applied again changes nothing.
import { isDuplicateKeyError } from '@keel/store';
import type { Collection, Filter } from 'mongodb';
import { type Rollup, type RollupDims, TOTAL_FIELDS, type Totals } from '../domain/usage';

export interface RollupDocument {
  /** rollupKeyOf(dims) */
  _id: string;
  tenant_id: string;
  function_name: string;
  variant_name: string;
  model: string;
  provider: string;
  hour: Date;
  inferences: bigint;
  calls: bigint;
  input_tokens: bigint;
  output_tokens: bigint;
  cached_input_tokens: bigint;
  cache_write_input_tokens: bigint;
  reasoning_tokens: bigint;
  cost_nano_usd: bigint;
  cache_hits: bigint;
  cache_saved_nano_usd: bigint;
  unpriced_calls: bigint;
  /** The last batch added; batch ids grow, so an older one is already in. '' after a repair. */
  last_batch: string;
}

export const ROLLUPS = 'usage_rollups';

/** totals field → document field */
const COLUMNS = Object.fromEntries(
  TOTAL_FIELDS.map((field) => [field, field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]),
) as Record<keyof Totals, keyof RollupDocument>;

function columnsOf(totals: Totals): Record<string, bigint> {
  return Object.fromEntries(TOTAL_FIELDS.map((field) => [COLUMNS[field], totals[field]]));
}

function dimsColumnsOf(dims: RollupDims) {
  return {
    tenant_id: dims.tenantId,
    function_name: dims.functionName,
    variant_name: dims.variantName,
    model: dims.model,
    provider: dims.provider,
    hour: dims.hour,
  };
}

export function rollupOf(doc: RollupDocument): Rollup {
  return {
    dims: {
      tenantId: doc.tenant_id,
      functionName: doc.function_name,
      variantName: doc.variant_name,
      model: doc.model,
      provider: doc.provider,
      hour: doc.hour,
    },
    totals: Object.fromEntries(
      TOTAL_FIELDS.map((field) => [field, BigInt((doc[COLUMNS[field]] as bigint) ?? 0n)]),
    ) as Totals,
  };
}

/**
 * Adds the batch's delta to the rollup unless the batch (or a later one) is already in it:
 * then the guarded upsert matches nothing and its insert hits the existing _id.
 */
export async function addToRollup(
  rollups: Collection<RollupDocument>,
  key: string,
  delta: Rollup,
  batchId: string,
): Promise<'added' | 'already-added'> {
  try {
    await rollups.updateOne(
      { _id: key, last_batch: { $lt: batchId } },
      {
        $inc: columnsOf(delta.totals),
        $set: { last_batch: batchId },
        $setOnInsert: dimsColumnsOf(delta.dims),
      },
      { upsert: true },
    );
    return 'added';
  } catch (error) {
    if (isDuplicateKeyError(error)) return 'already-added';
    throw error;
  }
}

/** Sets the rollup to `rollup`'s totals (a repair); the next batch adds to it as usual. */
export async function setRollup(
  rollups: Collection<RollupDocument>,
  key: string,
  rollup: Rollup,
): Promise<void> {
  await rollups.updateOne(
    { _id: key },
    {
      $set: { ...columnsOf(rollup.totals), ...dimsColumnsOf(rollup.dims) },
      $setOnInsert: { last_batch: '' },
    },
    { upsert: true },
  );
}

/** What a report reads: a tenant's rollups (or every tenant's), narrowed by the filter. */
export interface RollupQuery {
  tenantId?: string;
  from?: Date;
  to?: Date;
  functionName?: string;
  variantName?: string;
  model?: string;
  provider?: string;
}

export async function findRollups(
  rollups: Collection<RollupDocument>,
  query: RollupQuery,
): Promise<Rollup[]> {
  const filter: Filter<RollupDocument> = {};
  if (query.tenantId) filter.tenant_id = query.tenantId;
  if (query.functionName) filter.function_name = query.functionName;
  if (query.variantName) filter.variant_name = query.variantName;
  if (query.model) filter.model = query.model;
  if (query.provider) filter.provider = query.provider;
  if (query.from || query.to) {
    filter.hour = {
      ...(query.from ? { $gte: query.from } : {}),
      ...(query.to ? { $lt: query.to } : {}),
    };
  }
  const docs = await rollups.find(filter).toArray();
  return docs.map(rollupOf);
}

/** The greatest batch id any rollup holds: new batch ids must sort after it. */
export async function lastBatchIn(rollups: Collection<RollupDocument>): Promise<string> {
  const [last] = await rollups
    .find({}, { projection: { last_batch: 1 } })
    .sort({ last_batch: -1 })
    .limit(1)
    .toArray();
  return last?.last_batch ?? '';
}
