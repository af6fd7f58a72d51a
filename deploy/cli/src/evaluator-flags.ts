// The flags of a function's evaluators and service level:
//   --evaluator numeric_match@1 --evaluator llm_judge@1:0.1
//   --evaluator-params 'llm_judge@1={"rubric":"…","judge_function":"judge"}'
//   --max-latency-ms 2000 --max-cost-nano-usd 50000
// The router checks ids and params; these only parse what was typed.
import { durationFromMs, type router } from '@keel/contracts';
import { type Command, InvalidArgumentError } from 'commander';

export interface EvaluatorFlags {
  evaluator?: string[];
  evaluatorParams?: string[];
  maxLatencyMs?: number;
  maxCostNanoUsd?: bigint;
}

export function addEvaluatorFlags(command: Command): Command {
  return command
    .option(
      '--evaluator <id[:rate]>',
      'run this evaluator (name@version) on a share of the answers (default every one); repeatable',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option(
      '--evaluator-params <id=json>',
      "an evaluator's params as a JSON object; repeatable",
      (value: string, all: string[] = []) => [...all, value],
    )
    .option('--max-latency-ms <n>', 'service level: the latency objective', wholeNumber)
    .option('--max-cost-nano-usd <n>', 'service level: the cost objective', (text: string) =>
      BigInt(wholeNumber(text)),
    );
}

export function evaluatorsOf(flags: EvaluatorFlags): router.EvaluatorConfig[] {
  const params = new Map<string, string>();
  for (const entry of flags.evaluatorParams ?? []) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`--evaluator-params: '${entry}' is not id=json`);
    params.set(entry.slice(0, at), entry.slice(at + 1));
  }
  const configs = (flags.evaluator ?? []).map((spec) => {
    const [evaluator, rate] = spec.split(':');
    const samplingRate = rate === undefined ? 1 : Number(rate);
    if (!Number.isFinite(samplingRate)) {
      throw new InvalidArgumentError(`--evaluator: '${rate}' in '${spec}' is not a rate`);
    }
    return { evaluator, samplingRate, paramsJson: params.get(evaluator) ?? '' };
  });
  const unused = [...params.keys()].filter((id) => !configs.some((c) => c.evaluator === id));
  if (unused.length > 0) {
    throw new InvalidArgumentError(
      `--evaluator-params: ${unused.join(', ')} is not an --evaluator`,
    );
  }
  return configs;
}

export function serviceLevelOf(flags: EvaluatorFlags): router.ServiceLevel | undefined {
  if (flags.maxLatencyMs === undefined && flags.maxCostNanoUsd === undefined) return undefined;
  return {
    maxLatency: flags.maxLatencyMs === undefined ? undefined : durationFromMs(flags.maxLatencyMs),
    maxCostNanoUsd: flags.maxCostNanoUsd ?? 0n,
  };
}

function wholeNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('not a whole number');
  return Number(text);
}
