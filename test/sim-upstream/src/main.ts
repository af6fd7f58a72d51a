// `npm run sim-upstream -- --port 8080 …`: the sim upstream as a standalone server.
import { Command, InvalidArgumentError, Option } from 'commander';
import { FAULT_KINDS, type FaultKind, type FaultPlan } from './faults';
import { DEFAULT_REPLAY_FILE } from './replay';
import { startSimUpstream } from './server';

const number = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('not a number ≥ 0');
  return parsed;
};

/** `http500=0.4,http429=0.3,reset=0.2,timeout=0.1` as fault shares. */
const shares = (value: string): FaultPlan['shares'] =>
  Object.fromEntries(
    value.split(',').map((pair) => {
      const [kind, weight] = pair.split('=');
      if (!FAULT_KINDS.includes(kind as FaultKind)) {
        throw new InvalidArgumentError(`${kind} is not one of ${FAULT_KINDS.join(', ')}`);
      }
      return [kind, number(weight ?? '')];
    }),
  );

const program = new Command('sim-upstream')
  .description('An OpenAI- and Anthropic-compatible upstream with set timing, faults and replay')
  .option('--port <n>', 'port on 127.0.0.1 (0: a free one)', number, 8080)
  .option('--ttft-ms <n>', 'milliseconds to the first token', number, 0)
  .option('--tokens-per-second <n>', 'output tokens a second (0: all at once)', number, 0)
  .option('--fault-rate <r>', 'share of requests that fail, 0 to 1', number, 0)
  .addOption(
    new Option('--fault-shares <list>', 'relative shares of each fault')
      .argParser(shares)
      .default(
        { http500: 1, http429: 1, reset: 1, timeout: 1 },
        'http500=1,http429=1,reset=1,timeout=1',
      ),
  )
  .option('--retry-after <s>', 'Retry-After of an injected 429, in seconds', number, 1)
  .option('--seed <n>', 'seed of the fault draws', number, 1)
  .option(
    '--replay-file <path>',
    'JSONL file the weak and strong models replay',
    DEFAULT_REPLAY_FILE,
  )
  .option('--secret <key>', 'API key every request must carry');

interface CliOptions {
  port: number;
  ttftMs: number;
  tokensPerSecond: number;
  faultRate: number;
  faultShares: FaultPlan['shares'];
  retryAfter: number;
  seed: number;
  replayFile: string;
  secret?: string;
}

async function main(): Promise<void> {
  const options = program.parse().opts<CliOptions>();
  const sim = await startSimUpstream({
    port: options.port,
    ttftMs: options.ttftMs,
    tokensPerSecond: options.tokensPerSecond,
    secret: options.secret,
    faults:
      options.faultRate > 0
        ? {
            rate: options.faultRate,
            shares: options.faultShares,
            retryAfterSeconds: options.retryAfter,
          }
        : undefined,
    seed: options.seed,
    replayFile: options.replayFile,
  });
  console.log(sim.url);
  console.log(`OpenAI base URL:    ${sim.url}/v1`);
  console.log(`Anthropic base URL: ${sim.url}`);
  const stop = () => {
    const { requests, answered, faults } = sim.counters();
    console.log(JSON.stringify({ requests, answered, faults }));
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
