// The pure parts of `keel dataset` and `keel experiment`: JSONL examples, the --gate flag, and
// an experiment's results as a table.
import { createHash } from 'node:crypto';
import { durationFromMs, durationToMs, evaluation } from '@keel/contracts';
import { tableOf } from './evals';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

/**
 * One example per non-blank line, as DatasetExample's JSON (`example_id`, `messages`,
 * `reference`, `tags`); roles may be written `user`, `system`… An example without an id gets
 * one from its messages, so adding the same file again replaces rather than duplicates.
 */
export function examplesOfJsonl(text: string, file: string): evaluation.DatasetExample[] {
  const examples: evaluation.DatasetExample[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: { messages?: Array<{ role?: unknown }> } & Record<string, unknown>;
    try {
      json = JSON.parse(line) as typeof json;
    } catch (error) {
      throw new Error(`${file}:${index + 1}: not JSON (${(error as Error).message})`);
    }
    const messages = (json.messages ?? []).map((message) =>
      typeof message.role === 'string' && ROLES.has(message.role)
        ? { ...message, role: `MESSAGE_ROLE_${message.role.toUpperCase()}` }
        : message,
    );
    const example = evaluation.DatasetExample.fromJSON({ ...json, messages });
    if (example.messages.length === 0) throw new Error(`${file}:${index + 1}: no messages`);
    if (example.exampleId === '') {
      example.exampleId = createHash('sha256')
        .update(JSON.stringify(messages))
        .digest('hex')
        .slice(0, 16);
    }
    examples.push(example);
  });
  return examples;
}

const GATE_KEYS = [
  'min_mean_score',
  'max_cost_per_example_nano_usd',
  'max_p95_latency_ms',
  'max_score_drop',
  'baseline_variant',
  'max_error_rate',
] as const;

/** `min_mean_score=0.8,max_error_rate=0.05,baseline_variant=a,max_score_drop=0.02` → the gate. */
export function gateOf(text: string | undefined): evaluation.ExperimentGate {
  const gate = evaluation.ExperimentGate.fromPartial({});
  for (const pair of (text ?? '').split(',').filter((part) => part.trim() !== '')) {
    const [key, value = ''] = pair.split('=').map((part) => part.trim());
    const number = () => {
      const parsed = Number(value);
      if (value === '' || !Number.isFinite(parsed)) {
        throw new Error(`--gate: ${key}='${value}' is not a number`);
      }
      return parsed;
    };
    switch (key as (typeof GATE_KEYS)[number]) {
      case 'min_mean_score':
        gate.minMeanScore = number();
        break;
      case 'max_cost_per_example_nano_usd':
        gate.maxCostPerExampleNanoUsd = BigInt(Math.trunc(number()));
        break;
      case 'max_p95_latency_ms':
        gate.maxP95Latency = durationFromMs(number());
        break;
      case 'max_score_drop':
        gate.maxScoreDrop = number();
        break;
      case 'baseline_variant':
        gate.baselineVariant = value;
        break;
      case 'max_error_rate':
        gate.maxErrorRate = number();
        break;
      default:
        throw new Error(`--gate: unknown bound '${key}' (${GATE_KEYS.join(', ')})`);
    }
  }
  return gate;
}

/** One row per variant, then each failed gate's reasons. */
export function resultsTableOf(experiment: evaluation.Experiment): string {
  const evaluators = [
    ...new Set(experiment.results.flatMap((result) => Object.keys(result.meanScoreByEvaluator))),
  ].sort();
  const rows = experiment.results.map((result) => [
    result.variantName,
    String(result.examples),
    String(result.errors),
    result.meanScore.toFixed(3),
    ...evaluators.map((name) => result.meanScoreByEvaluator[name]?.toFixed(3) ?? '-'),
    String(result.costPerExampleNanoUsd),
    String(result.totalCostNanoUsd),
    durationToMs(result.p50Latency).toFixed(1),
    durationToMs(result.p95Latency).toFixed(1),
    result.passed ? 'pass' : 'FAIL',
  ]);
  const header = [
    'variant',
    'examples',
    'errors',
    'mean',
    ...evaluators,
    'cost/example',
    'cost',
    'p50_ms',
    'p95_ms',
    'gate',
  ];
  const failures = experiment.results.flatMap((result) =>
    result.gateFailures.map((failure) => `  ${result.variantName}: ${failure}`),
  );
  return [tableOf(header, rows), ...failures].join('\n');
}
