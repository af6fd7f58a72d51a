// `keel usage` and `keel billing reconcile`: the billing service's usage and cost reports, as a
// table, CSV or JSON.
import { billing } from '@keel/contracts';
import { billingClient, call } from '@keel/kit';
import { type Command, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { tableOf } from './evals';

const { UsageDimension: Dimension, UsagePeriod: Period } = billing;

const DIMENSIONS: Record<string, billing.UsageDimension> = {
  tenant: Dimension.USAGE_DIMENSION_TENANT,
  function: Dimension.USAGE_DIMENSION_FUNCTION,
  variant: Dimension.USAGE_DIMENSION_VARIANT,
  model: Dimension.USAGE_DIMENSION_MODEL,
  provider: Dimension.USAGE_DIMENSION_PROVIDER,
};

const PERIODS: Record<string, billing.UsagePeriod> = {
  hour: Period.USAGE_PERIOD_HOUR,
  day: Period.USAGE_PERIOD_DAY,
  month: Period.USAGE_PERIOD_MONTH,
};

type Format = 'table' | 'csv' | 'json';

interface UsageFlags {
  tenant?: string;
  from?: string;
  to?: string;
  function?: string;
  variant?: string;
  model?: string;
  provider?: string;
  format: Format;
}

/** `function,model` → the dimensions, in order. */
export function dimensionsOf(text: string): {
  names: string[];
  dimensions: billing.UsageDimension[];
} {
  const names = text.split(',').filter((name) => name !== '');
  const dimensions = names.map((name) => {
    const dimension = DIMENSIONS[name];
    if (dimension === undefined) {
      throw new Error(`--by: unknown dimension '${name}' (${Object.keys(DIMENSIONS).join(', ')})`);
    }
    return dimension;
  });
  return { names, dimensions };
}

function periodOf(text: string | undefined): billing.UsagePeriod {
  if (text === undefined) return Period.USAGE_PERIOD_UNSPECIFIED;
  const period = PERIODS[text];
  if (period === undefined) {
    throw new Error(`--period: unknown period '${text}' (${Object.keys(PERIODS).join(', ')})`);
  }
  return period;
}

function instantOf(flag: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`--${flag}: '${text}' is not an ISO 8601 time`);
  return date;
}

function filterOf(flags: UsageFlags): billing.UsageFilter {
  return billing.UsageFilter.fromPartial({
    tenantId: flags.tenant ?? '',
    from: instantOf('from', flags.from),
    to: instantOf('to', flags.to),
    functionName: flags.function ?? '',
    variantName: flags.variant ?? '',
    model: flags.model ?? '',
    provider: flags.provider ?? '',
  });
}

/** nano-USD as dollars, exactly: 322500 → 0.000322500. */
export function usd(nano: bigint): string {
  const sign = nano < 0n ? '-' : '';
  const abs = nano < 0n ? -nano : nano;
  return `${sign}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Every figure, for CSV: raw integers, money in nano-USD. */
const CSV_FIGURES: Array<[string, (totals: billing.UsageTotals) => bigint]> = [
  ['inferences', (t) => t.inferences],
  ['calls', (t) => t.calls],
  ['input_tokens', (t) => t.inputTokens],
  ['output_tokens', (t) => t.outputTokens],
  ['cached_input_tokens', (t) => t.cachedInputTokens],
  ['cache_write_input_tokens', (t) => t.cacheWriteInputTokens],
  ['reasoning_tokens', (t) => t.reasoningTokens],
  ['cost_nano_usd', (t) => t.costNanoUsd],
  ['cost_per_inference_nano_usd', (t) => t.costPerInferenceNanoUsd],
  ['cache_hits', (t) => t.cacheHits],
  ['cache_saved_nano_usd', (t) => t.cacheSavedNanoUsd],
  ['unpriced_calls', (t) => t.unpricedCalls],
];

/** The figures a person reads, for the table: money in USD. */
const TABLE_FIGURES: Array<[string, (totals: billing.UsageTotals) => string]> = [
  ['inferences', (t) => String(t.inferences)],
  ['calls', (t) => String(t.calls)],
  ['input', (t) => String(t.inputTokens)],
  ['output', (t) => String(t.outputTokens)],
  ['cost_usd', (t) => usd(t.costNanoUsd)],
  ['per_inference_usd', (t) => usd(t.costPerInferenceNanoUsd)],
  ['cache_hits', (t) => String(t.cacheHits)],
  ['saved_usd', (t) => usd(t.cacheSavedNanoUsd)],
  ['unpriced', (t) => String(t.unpricedCalls)],
];

interface TextRow {
  keys: string[];
  totals: billing.UsageTotals;
}

/** Rows as a table (money in USD) or CSV (every figure, money in nano-USD). */
function rowsText(keyHeader: string[], rows: TextRow[], format: 'table' | 'csv'): string {
  if (format === 'csv') {
    return stringify([
      [...keyHeader, ...CSV_FIGURES.map(([name]) => name)],
      ...rows.map((row) => [...row.keys, ...CSV_FIGURES.map(([, f]) => String(f(row.totals)))]),
    ]).trimEnd();
  }
  return tableOf(
    [...keyHeader, ...TABLE_FIGURES.map(([name]) => name)],
    rows.map((row) => [...row.keys, ...TABLE_FIGURES.map(([, f]) => f(row.totals))]),
  );
}

/** The report as text; a table ends with a total line and the unbilled inferences. */
export function usageText(
  reply: billing.GetUsageResponse,
  names: string[],
  period: billing.UsagePeriod,
  format: 'table' | 'csv',
): string {
  const withPeriod = period !== Period.USAGE_PERIOD_UNSPECIFIED;
  const keyHeader = [...(withPeriod ? ['period_start'] : []), ...names];
  const rows: TextRow[] = reply.rows.map((row) => ({
    keys: [
      ...(withPeriod ? [row.periodStart?.toISOString() ?? ''] : []),
      ...names.map((name) => row.group[name] ?? ''),
    ],
    totals: row.totals ?? billing.UsageTotals.fromPartial({}),
  }));
  if (format === 'csv') return rowsText(keyHeader, rows, format);
  const totals = reply.totals ?? billing.UsageTotals.fromPartial({});
  const totalKeys = keyHeader.length
    ? ['total', ...Array<string>(keyHeader.length - 1).fill('')]
    : [];
  // Without groups or periods, the total is the only row.
  const table = rowsText(
    keyHeader,
    [...(keyHeader.length ? rows : []), { keys: totalKeys, totals }],
    format,
  );
  const lines = [table, '', `unbilled: ${reply.unbilled?.count ?? 0n}`];
  for (const inference of reply.unbilled?.inferences ?? []) {
    lines.push(`  ${inference.inferenceId}  ${inference.functionName}  ${inference.reason}`);
  }
  return lines.join('\n');
}

function addFilterFlags(command: Command): Command {
  return command
    .option('--tenant <id>', 'another tenant (operator keys only)')
    .option('--from <time>', 'completed at or after (ISO 8601; rounded down to the hour)')
    .option('--to <time>', 'completed before (ISO 8601; rounded down to the hour)')
    .option('--function <name>', 'function name')
    .option('--variant <name>', 'variant name')
    .option('--model <name>', 'model')
    .option('--provider <name>', 'provider')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'csv', 'json'])
        .default('table'),
    );
}

export function addUsageCommands(
  program: Command,
  keys: { report: () => string; admin: () => string },
): void {
  const billingAddress = new Option('--billing <address>', 'billing gRPC address')
    .env('KEEL_BILLING_ADDR')
    .default('127.0.0.1:50056');
  const usage = addFilterFlags(
    program
      .command('usage')
      .description('usage and cost from the ledger (a key with the analytics scope)')
      .addOption(billingAddress)
      .option('--by <dimensions>', `group by: ${Object.keys(DIMENSIONS).join(', ')}`, '')
      .option('--period <period>', `rows per ${Object.keys(PERIODS).join(', ')} (UTC)`),
  ).action(async (flags: UsageFlags & { by: string; period?: string; billing: string }) => {
    const { names, dimensions } = dimensionsOf(flags.by);
    const period = periodOf(flags.period);
    const request = billing.GetUsageRequest.fromPartial({
      filter: filterOf(flags),
      groupBy: dimensions,
      period,
    });
    const client = billingClient(flags.billing);
    const reply = await call<billing.GetUsageResponse>(keys.report(), (metadata, callback) =>
      client.getUsage(request, metadata, callback),
    );
    console.log(
      flags.format === 'json'
        ? JSON.stringify(billing.GetUsageResponse.toJSON(reply), null, 2)
        : usageText(reply, names, period, flags.format),
    );
  });

  addFilterFlags(usage.command('top').description('the functions that spent the most'))
    .option('--limit <n>', 'functions shown (at most 100)', '10')
    .action(async (flags: UsageFlags & { limit: string }) => {
      const request = billing.TopFunctionsRequest.fromPartial({
        filter: filterOf(flags),
        limit: Number(flags.limit),
      });
      const client = billingClient(usage.opts<{ billing: string }>().billing);
      const reply = await call<billing.TopFunctionsResponse>(keys.report(), (metadata, callback) =>
        client.topFunctions(request, metadata, callback),
      );
      if (flags.format === 'json') {
        console.log(JSON.stringify(billing.TopFunctionsResponse.toJSON(reply), null, 2));
        return;
      }
      const rows = reply.functions.map((spend) => ({
        keys: [spend.functionName],
        totals: spend.totals ?? billing.UsageTotals.fromPartial({}),
      }));
      console.log(rowsText(['function'], rows, flags.format));
    });

  program
    .command('billing')
    .description('billing operations (operator)')
    .command('reconcile')
    .description('compare the usage rollups with the ledger; --repair rewrites those that differ')
    .addOption(billingAddress)
    .option('--tenant <id>', 'one tenant (default: every tenant)')
    .option('--repair', 'rewrite the rollups that differ from the ledger', false)
    .option('--json', 'print the response as JSON')
    .action(
      async (flags: { tenant?: string; repair: boolean; json?: boolean; billing: string }) => {
        const client = billingClient(flags.billing);
        const reply = await call<billing.ReconcileResponse>(keys.admin(), (metadata, callback) =>
          client.reconcile(
            billing.ReconcileRequest.fromPartial({
              tenantId: flags.tenant ?? '',
              repair: flags.repair,
            }),
            metadata,
            callback,
          ),
        );
        if (flags.json) {
          console.log(JSON.stringify(billing.ReconcileResponse.toJSON(reply), null, 2));
          return;
        }
        console.log(`rollups checked: ${reply.rollupsChecked}`);
        console.log(`mismatches: ${reply.mismatches.length}${reply.repaired ? ' (repaired)' : ''}`);
        for (const mismatch of reply.mismatches) {
          const rolledUp = mismatch.rolledUp ?? billing.UsageTotals.fromPartial({});
          const ledger = mismatch.ledger ?? billing.UsageTotals.fromPartial({});
          // The figures that differ, with the ledger's value.
          const differences = CSV_FIGURES.filter(
            ([, figure]) => figure(rolledUp) !== figure(ledger),
          )
            .map(([name, figure]) => `${name} ${figure(rolledUp)} (ledger ${figure(ledger)})`)
            .join(', ');
          console.log(`  ${mismatch.rollup}: ${differences}`);
        }
      },
    );
}
