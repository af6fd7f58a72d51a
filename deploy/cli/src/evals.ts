// `keel evals`: the analysts' queries of the evaluation store, printed as tables (or JSON).
import { once } from 'node:events';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as grpc from '@grpc/grpc-js';
import { evaluation } from '@keel/contracts';
import { call } from '@keel/kit';
import { type Command, Option } from 'commander';
import { describeFeedback } from './feedback';

const { GroupKey, TimeBucket, ExportFormat } = evaluation;

export interface FilterFlags {
  tenant?: string;
  function?: string;
  variant?: string;
  model?: string;
  evaluator?: string;
  label?: string;
  tag: string[];
  from?: string;
  to?: string;
}

function instantOf(flag: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`--${flag}: '${text}' is not an ISO 8601 time`);
  return date;
}

export function filterOf(flags: FilterFlags): evaluation.EvaluationFilter {
  const tags: Record<string, string> = {};
  for (const pair of flags.tag) {
    const split = pair.indexOf('=');
    if (split <= 0) throw new Error(`--tag: '${pair}' is not key=value`);
    tags[pair.slice(0, split)] = pair.slice(split + 1);
  }
  return evaluation.EvaluationFilter.fromPartial({
    tenantId: flags.tenant ?? '',
    functionName: flags.function ?? '',
    variantName: flags.variant ?? '',
    model: flags.model ?? '',
    evaluator: flags.evaluator ?? '',
    label: flags.label ?? '',
    tags,
    from: instantOf('from', flags.from),
    to: instantOf('to', flags.to),
  });
}

const GROUP_KEYS: Record<string, evaluation.GroupKey> = {
  function: GroupKey.GROUP_KEY_FUNCTION,
  variant: GroupKey.GROUP_KEY_VARIANT,
  model: GroupKey.GROUP_KEY_MODEL,
  evaluator: GroupKey.GROUP_KEY_EVALUATOR,
  label: GroupKey.GROUP_KEY_LABEL,
};

/** `function,tag:team` → the group keys and the tag name. */
export function groupingOf(text: string): { groupBy: evaluation.GroupKey[]; groupByTag: string } {
  const groupBy: evaluation.GroupKey[] = [];
  let groupByTag = '';
  for (const name of text.split(',').filter((part) => part !== '')) {
    if (name.startsWith('tag:')) {
      groupBy.push(GroupKey.GROUP_KEY_TAG);
      groupByTag = name.slice('tag:'.length);
    } else if (GROUP_KEYS[name] !== undefined) {
      groupBy.push(GROUP_KEYS[name]);
    } else {
      throw new Error(
        `--group-by: unknown key '${name}' (${Object.keys(GROUP_KEYS).join(', ')}, tag:<name>)`,
      );
    }
  }
  return { groupBy, groupByTag };
}

/** Columns padded to their widest cell. */
export function tableOf(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const score = (value: number) => value.toFixed(3);

function addFilterFlags(command: Command): Command {
  return command
    .option('--tenant <id>', 'another tenant (operator keys only)')
    .option('--function <name>', 'function name')
    .option('--variant <name>', 'variant name')
    .option('--model <name>', 'model that served')
    .option('--evaluator <id>', 'evaluator, name@version')
    .option('--label <label>', 'evaluation label')
    .option(
      '--tag <key=value>',
      'a tag the inference carries (repeatable)',
      (v, all: string[]) => [...all, v],
      [],
    )
    .option('--from <time>', 'completed at or after (ISO 8601)')
    .option('--to <time>', 'completed before (ISO 8601)')
    .option('--json', 'print the response as JSON');
}

export function addEvalCommands(program: Command, apiKey: () => string): void {
  const evals = program
    .command('evals')
    .description('query the evaluation store (a key with the analytics scope)')
    .addOption(
      new Option('--evaluation <address>', 'evaluation gRPC address')
        .env('KEEL_EVALUATION_ADDR')
        .default('127.0.0.1:50054'),
    );
  const client = () =>
    new evaluation.EvaluationServiceClient(
      evals.opts<{ evaluation: string }>().evaluation,
      grpc.credentials.createInsecure(),
    );
  const print = (json: boolean | undefined, toJson: () => unknown, table: () => string) =>
    console.log(json ? JSON.stringify(toJson(), null, 2) : table());

  addFilterFlags(evals.command('list').description('evaluations, newest first'))
    .option('--page-size <n>', 'evaluations per page (at most 1000)', '100')
    .option('--page-token <token>', 'the next page, from the previous output')
    .action(
      async (flags: FilterFlags & { json?: boolean; pageSize: string; pageToken?: string }) => {
        const request = evaluation.ListEvaluationsRequest.fromPartial({
          filter: filterOf(flags),
          pageSize: Number(flags.pageSize),
          pageToken: flags.pageToken ?? '',
        });
        const reply = await call<evaluation.ListEvaluationsResponse>(
          apiKey(),
          (metadata, callback) => client().listEvaluations(request, metadata, callback),
        );
        print(
          flags.json,
          () => evaluation.ListEvaluationsResponse.toJSON(reply),
          () =>
            tableOf(
              [
                'time',
                'inference',
                'function',
                'variant',
                'model',
                'evaluator',
                'score',
                'label',
                'failed',
              ],
              reply.evaluations.map((item) => [
                item.inferenceOccurredAt?.toISOString() ?? '',
                item.inferenceId,
                item.functionName,
                item.variantName,
                item.model,
                item.evaluator,
                score(item.score),
                item.label,
                item.failed ? 'yes' : '',
              ]),
            ) + (reply.nextPageToken ? `\nnext page: --page-token ${reply.nextPageToken}` : ''),
        );
      },
    );

  addFilterFlags(evals.command('aggregate').description('count, mean, p50, p95 and failure rate'))
    .option(
      '--group-by <keys>',
      'comma-separated: function, variant, model, evaluator, label, tag:<name>',
      '',
    )
    .addOption(new Option('--bucket <width>', 'time buckets').choices(['hour', 'day']))
    .action(
      async (flags: FilterFlags & { json?: boolean; groupBy: string; bucket?: 'hour' | 'day' }) => {
        const grouping = groupingOf(flags.groupBy);
        const request = evaluation.AggregateEvaluationsRequest.fromPartial({
          filter: filterOf(flags),
          ...grouping,
          bucket:
            flags.bucket === 'hour'
              ? TimeBucket.TIME_BUCKET_HOUR
              : flags.bucket === 'day'
                ? TimeBucket.TIME_BUCKET_DAY
                : TimeBucket.TIME_BUCKET_UNSPECIFIED,
        });
        const reply = await call<evaluation.AggregateEvaluationsResponse>(
          apiKey(),
          (metadata, callback) => client().aggregateEvaluations(request, metadata, callback),
        );
        const keys = reply.aggregates[0] ? Object.keys(reply.aggregates[0].group) : [];
        print(
          flags.json,
          () => evaluation.AggregateEvaluationsResponse.toJSON(reply),
          () =>
            tableOf(
              [
                ...(flags.bucket ? ['bucket'] : []),
                ...keys,
                'count',
                'mean',
                'p50',
                'p95',
                'failure rate',
              ],
              reply.aggregates.map((item) => [
                ...(flags.bucket ? [item.bucketStart?.toISOString() ?? ''] : []),
                ...keys.map((key) => item.group[key] ?? ''),
                String(item.count),
                score(item.meanScore),
                score(item.p50Score),
                score(item.p95Score),
                `${(item.failureRate * 100).toFixed(1)}%`,
              ]),
            ),
        );
      },
    );

  addFilterFlags(evals.command('worst').description('the lowest-scored inferences'))
    .option('--limit <n>', 'inferences (at most 100)', '10')
    .action(async (flags: FilterFlags & { json?: boolean; limit: string }) => {
      const request = evaluation.WorstInferencesRequest.fromPartial({
        filter: filterOf(flags),
        limit: Number(flags.limit),
      });
      const reply = await call<evaluation.WorstInferencesResponse>(apiKey(), (metadata, callback) =>
        client().worstInferences(request, metadata, callback),
      );
      print(
        flags.json,
        () => evaluation.WorstInferencesResponse.toJSON(reply),
        () =>
          reply.inferences
            .map((item) =>
              [
                `${score(item.worstScore)}  ${item.inferenceId}  ${item.functionName}/${item.variantName} on ${item.model}`,
                `  input:  ${item.inputMessages.at(-1)?.content ?? ''}`,
                `  output: ${item.outputText}`,
                ...item.evaluations.map(
                  (e) =>
                    `  ${e.evaluator}: ${score(e.score)} ${e.label}${e.reason ? ` (${e.reason})` : ''}`,
                ),
              ].join('\n'),
            )
            .join('\n\n'),
      );
    });

  addFilterFlags(
    evals
      .command('failures')
      .description('failures by label and variant, and the inputs that keep failing'),
  )
    .option('--top <n>', 'failing inputs (at most 100)', '10')
    .action(async (flags: FilterFlags & { json?: boolean; top: string }) => {
      const request = evaluation.AnalyzeFailuresRequest.fromPartial({
        filter: filterOf(flags),
        topInputs: Number(flags.top),
      });
      const reply = await call<evaluation.AnalyzeFailuresResponse>(apiKey(), (metadata, callback) =>
        client().analyzeFailures(request, metadata, callback),
      );
      const counts = (groups: evaluation.FailureCount[], a: string, b: string) =>
        tableOf(
          [a, b, 'failures', 'total'],
          groups.map((g) => [
            g.group[a] ?? '',
            g.group[b] ?? '',
            String(g.failures),
            String(g.total),
          ]),
        );
      print(
        flags.json,
        () => evaluation.AnalyzeFailuresResponse.toJSON(reply),
        () =>
          [
            counts(reply.byLabel, 'evaluator', 'label'),
            counts(reply.byVariant, 'function', 'variant'),
            tableOf(
              ['failures', 'input'],
              reply.topFailingInputs.map((input) => [String(input.failures), input.input]),
            ),
          ].join('\n\n'),
      );
    });

  evals
    .command('drift')
    .description('significant drops of scores detected, newest first')
    .option('--tenant <id>', 'another tenant (operator keys only)')
    .option('--function <name>', 'function name')
    .option('--variant <name>', 'variant name')
    .option('--limit <n>', 'alerts (at most 1000)', '100')
    .option('--json', 'print the response as JSON')
    .action(
      async (flags: {
        tenant?: string;
        function?: string;
        variant?: string;
        limit: string;
        json?: boolean;
      }) => {
        const request = evaluation.ListDriftAlertsRequest.fromPartial({
          tenantId: flags.tenant ?? '',
          functionName: flags.function ?? '',
          variantName: flags.variant ?? '',
          limit: Number(flags.limit),
        });
        const reply = await call<evaluation.ListDriftAlertsResponse>(
          apiKey(),
          (metadata, callback) => client().listDriftAlerts(request, metadata, callback),
        );
        print(
          flags.json,
          () => evaluation.ListDriftAlertsResponse.toJSON(reply),
          () =>
            tableOf(
              ['detected', 'function', 'variant', 'evaluator', 'baseline', 'window', 'test', 'p'],
              reply.alerts.map((alert) => [
                alert.detectedAt?.toISOString() ?? '',
                alert.functionName,
                alert.variantName,
                alert.evaluator,
                `${score(alert.baselineMean)} (n=${alert.baselineCount})`,
                `${score(alert.windowMean)} (n=${alert.windowCount})`,
                `${alert.test} ${alert.statistic.toFixed(2)}`,
                alert.pValue.toExponential(2),
              ]),
            ),
        );
      },
    );

  addFilterFlags(
    evals.command('export').description('every matching evaluation as JSONL (default) or CSV'),
  )
    .option('--csv', 'CSV with a header instead of JSONL')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (flags: FilterFlags & { csv?: boolean; out?: string }) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${apiKey()}`);
      const stream = client().exportEvaluations(
        evaluation.ExportEvaluationsRequest.fromPartial({
          filter: filterOf(flags),
          format: flags.csv ? ExportFormat.EXPORT_FORMAT_CSV : ExportFormat.EXPORT_FORMAT_JSONL,
        }),
        metadata,
      );
      const chunks = Readable.from(
        (async function* () {
          for await (const message of stream as AsyncIterable<evaluation.ExportEvaluationsResponse>) {
            yield message.chunk;
          }
        })(),
      );
      // pipeline waits for a full pipe and ends the file; stdout is left open.
      if (flags.out) await pipeline(chunks, fs.createWriteStream(flags.out));
      else {
        await pipeline(chunks, process.stdout, { end: false });
        // main exits the process once the command resolves: let stdout flush first.
        if (process.stdout.writableLength > 0) await once(process.stdout, 'drain');
      }
    });

  evals
    .command('inference <id>')
    .description('one inference with its evaluations beside the feedback given on it')
    .option('--tenant <id>', 'another tenant (operator keys only)')
    .option('--json', 'print the response as JSON')
    .action(async (inferenceId: string, flags: { tenant?: string; json?: boolean }) => {
      const request = evaluation.GetInferenceRequest.fromPartial({
        tenantId: flags.tenant ?? '',
        inferenceId,
      });
      const reply = await call<evaluation.GetInferenceResponse>(apiKey(), (metadata, callback) =>
        client().getInference(request, metadata, callback),
      );
      const item = reply.inference!;
      print(
        flags.json,
        () => evaluation.GetInferenceResponse.toJSON(reply),
        () =>
          [
            `${item.inferenceId}  ${item.functionName}/${item.variantName} on ${item.model}  ${item.occurredAt?.toISOString() ?? ''}`,
            `  input:  ${item.inputMessages.at(-1)?.content ?? ''}`,
            `  output: ${item.outputText}`,
            'evaluations:',
            ...item.evaluations.map(
              (e) =>
                `  ${e.evaluator}: ${score(e.score)} ${e.label}${e.reason ? ` (${e.reason})` : ''}`,
            ),
            'feedback:',
            ...item.feedback.map(
              (f) => `  ${f.createdAt?.toISOString() ?? ''}  ${describeFeedback(f)}`,
            ),
          ].join('\n'),
      );
    });
}
