// Usage arithmetic: what one ledger entry adds to the hourly rollups, sums of rollups, the
// periods of a report, and the groups of its rows. All figures are exact integers (bigint).
import { billing } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

const { UsageDimension: Dimension, UsagePeriod: Period } = billing;

/** The summed figures of UsageTotals (cost per inference is derived from them). */
export type Totals = Omit<billing.UsageTotals, 'costPerInferenceNanoUsd'>;

export const TOTAL_FIELDS = [
  'inferences',
  'calls',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'cacheWriteInputTokens',
  'reasoningTokens',
  'costNanoUsd',
  'cacheHits',
  'cacheSavedNanoUsd',
  'unpricedCalls',
] as const satisfies ReadonlyArray<keyof Totals>;

/** What a rollup is kept by: one document per tenant, function, variant, model, provider and hour. */
export interface RollupDims {
  tenantId: string;
  functionName: string;
  variantName: string;
  model: string;
  provider: string;
  /** The UTC hour's start. */
  hour: Date;
}

export interface Rollup {
  dims: RollupDims;
  totals: Totals;
}

/** What the rollups need of a ledger entry. */
export interface BilledInference {
  tenantId: string;
  functionName: string;
  variantName: string;
  /** The model and provider that answered (of a cache hit: the model of the stored answer). */
  model: string;
  provider: string;
  occurredAt: Date;
  cacheHit: boolean;
  cacheSavedNanoUsd: bigint;
  lineItems: Array<{
    model: string;
    provider: string;
    usage: {
      inputTokens: bigint;
      outputTokens: bigint;
      cachedInputTokens: bigint;
      cacheWriteInputTokens: bigint;
      reasoningTokens: bigint;
    };
    costNanoUsd: bigint;
    unpriced: boolean;
  }>;
}

export function zeroTotals(): Totals {
  return Object.fromEntries(TOTAL_FIELDS.map((field) => [field, 0n])) as Totals;
}

/** Adds `more` into `into`. */
export function addTotals(into: Totals, more: Totals): Totals {
  for (const field of TOTAL_FIELDS) into[field] += more[field];
  return into;
}

export function sameTotals(a: Totals, b: Totals): boolean {
  return TOTAL_FIELDS.every((field) => a[field] === b[field]);
}

/** The totals with their cost per inference, as reports show them. */
export function usageTotalsOf(totals: Totals): billing.UsageTotals {
  const costPerInferenceNanoUsd =
    totals.inferences > 0n ? totals.costNanoUsd / totals.inferences : 0n;
  return { ...totals, costPerInferenceNanoUsd };
}

export function hourOf(time: Date): Date {
  const hour = new Date(time);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}

/** `tenant/function/variant/model/provider/hour`, each part URI-encoded so '/' stays a separator. */
export function rollupKeyOf(dims: RollupDims): string {
  const parts = [dims.tenantId, dims.functionName, dims.variantName, dims.model, dims.provider];
  return [...parts.map(encodeURIComponent), dims.hour.toISOString().slice(0, 13)].join('/');
}

/**
 * What the entries add to each hourly rollup, by rollup key. A provider call counts under its
 * own model and provider; the inference itself (and its cache hit) under the model that answered.
 */
export function rollupDeltas(entries: Iterable<BilledInference>): Map<string, Rollup> {
  const deltas = new Map<string, Rollup>();
  const totalsOf = (entry: BilledInference, model: string, provider: string): Totals => {
    const dims: RollupDims = {
      tenantId: entry.tenantId,
      functionName: entry.functionName,
      variantName: entry.variantName,
      model,
      provider,
      hour: hourOf(entry.occurredAt),
    };
    const key = rollupKeyOf(dims);
    let rollup = deltas.get(key);
    if (!rollup) deltas.set(key, (rollup = { dims, totals: zeroTotals() }));
    return rollup.totals;
  };
  for (const entry of entries) {
    for (const item of entry.lineItems) {
      const totals = totalsOf(entry, item.model, item.provider);
      totals.calls += 1n;
      totals.inputTokens += item.usage.inputTokens;
      totals.outputTokens += item.usage.outputTokens;
      totals.cachedInputTokens += item.usage.cachedInputTokens;
      totals.cacheWriteInputTokens += item.usage.cacheWriteInputTokens;
      totals.reasoningTokens += item.usage.reasoningTokens;
      totals.costNanoUsd += item.costNanoUsd;
      if (item.unpriced) totals.unpricedCalls += 1n;
    }
    const totals = totalsOf(entry, entry.model, entry.provider);
    totals.inferences += 1n;
    if (entry.cacheHit) {
      totals.cacheHits += 1n;
      totals.cacheSavedNanoUsd += entry.cacheSavedNanoUsd;
    }
  }
  return deltas;
}

/** The start of the UTC period `time` falls in; null for UNSPECIFIED (the whole range). */
export function periodStartOf(time: Date, period: billing.UsagePeriod): Date | null {
  switch (period) {
    case Period.USAGE_PERIOD_HOUR:
      return hourOf(time);
    case Period.USAGE_PERIOD_DAY:
      return new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
    case Period.USAGE_PERIOD_MONTH:
      return new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), 1));
    default:
      return null;
  }
}

/** The name a dimension has in a row's group (`model=gpt-4o-mini`), and its value in a rollup. */
const DIMENSIONS: Partial<Record<billing.UsageDimension, [string, (dims: RollupDims) => string]>> =
  {
    [Dimension.USAGE_DIMENSION_TENANT]: ['tenant', (dims) => dims.tenantId],
    [Dimension.USAGE_DIMENSION_FUNCTION]: ['function', (dims) => dims.functionName],
    [Dimension.USAGE_DIMENSION_VARIANT]: ['variant', (dims) => dims.variantName],
    [Dimension.USAGE_DIMENSION_MODEL]: ['model', (dims) => dims.model],
    [Dimension.USAGE_DIMENSION_PROVIDER]: ['provider', (dims) => dims.provider],
  };

/** Refuses an unknown or repeated dimension, and an unknown period, naming the field. */
export function checkGrouping(groupBy: billing.UsageDimension[], period: billing.UsagePeriod) {
  groupBy.forEach((dimension, index) => {
    if (!DIMENSIONS[dimension]) {
      throw new InvalidArgumentError(
        `group_by[${index}]`,
        `${billing.usageDimensionToJSON(dimension)} is not a dimension (tenant, function, variant, model, provider)`,
      );
    }
    if (groupBy.indexOf(dimension) !== index) {
      throw new InvalidArgumentError(
        `group_by[${index}]`,
        `${billing.usageDimensionToJSON(dimension)} is named twice`,
      );
    }
  });
  if (period !== Period.USAGE_PERIOD_UNSPECIFIED && periodStartOf(new Date(0), period) === null) {
    throw new InvalidArgumentError(
      'period',
      `${billing.usagePeriodToJSON(period)} is not a period`,
    );
  }
}

/**
 * Sums the rollups into one row per group and period, ordered by period then group, and their
 * grand total. Expects a grouping checkGrouping accepted.
 */
export function usageRows(
  rollups: Iterable<Rollup>,
  groupBy: billing.UsageDimension[],
  period: billing.UsagePeriod,
): { rows: billing.UsageRow[]; totals: billing.UsageTotals } {
  const rows = new Map<
    string,
    { group: Record<string, string>; start: Date | null; totals: Totals }
  >();
  const grand = zeroTotals();
  for (const rollup of rollups) {
    const group: Record<string, string> = {};
    for (const dimension of groupBy) {
      const [name, valueOf] = DIMENSIONS[dimension]!;
      group[name] = valueOf(rollup.dims);
    }
    const start = periodStartOf(rollup.dims.hour, period);
    const key = JSON.stringify([start?.getTime() ?? null, Object.values(group)]);
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { group, start, totals: zeroTotals() }));
    addTotals(row.totals, rollup.totals);
    addTotals(grand, rollup.totals);
  }
  const ordered = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) =>
      billing.UsageRow.fromPartial({
        group: row.group,
        periodStart: row.start ?? undefined,
        totals: usageTotalsOf(row.totals),
      }),
    );
  return { rows: ordered, totals: usageTotalsOf(grand) };
}

/** The functions that spent the most (then most inferences, then by name), at most `limit`. */
export function topFunctions(rollups: Iterable<Rollup>, limit: number): billing.FunctionSpend[] {
  const byFunction = new Map<string, Totals>();
  for (const rollup of rollups) {
    const name = rollup.dims.functionName;
    addTotals(byFunction.get(name) ?? byFunction.set(name, zeroTotals()).get(name)!, rollup.totals);
  }
  const compare = (a: bigint, b: bigint) => (a > b ? -1 : a < b ? 1 : 0);
  return [...byFunction.entries()]
    .sort(
      ([nameA, a], [nameB, b]) =>
        compare(a.costNanoUsd, b.costNanoUsd) ||
        compare(a.inferences, b.inferences) ||
        nameA.localeCompare(nameB),
    )
    .slice(0, limit)
    .map(([functionName, totals]) => ({ functionName, totals: usageTotalsOf(totals) }));
}
