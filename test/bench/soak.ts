// The soak: many Complete calls at once through a two-model chain on an upstream that fails a
// share of its HTTP requests at random, every service a real process. It checks that nearly
// every call succeeds, that a failed call used every try of both models, that billing keeps
// exactly one ledger document per inference, and that the ledger's line items match the
// requests the upstream received. Prompts come from `../shared/data/routing/gsm8k.jsonl`, which
// the replay models `weak` and `strong` answer with their recorded responses.
//   npm run soak [-- --requests 10000 --concurrency 50 --fault-rate 0.3 …]
// Exits non-zero when a check fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { connectBus } from '@keel/bus';
import { durableNameOf, events, inference, router, streamOf } from '@keel/contracts';
import {
  DEFAULT_REPLAY_FILE,
  FAULT_KINDS,
  type FaultKind,
  type FaultPlan,
  type SimUpstreamCounters,
  startSimUpstream,
} from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { startLocalServers } from '@keel/local';
import { inferenceClient } from '@keel/kit';
import { type Cluster, startCluster } from '../support/cluster';
import { type Clients, clientsOf, userMessage } from '../support/clients';

const SECRET_ENV = 'KEEL_SOAK_UPSTREAM_KEY';
const FUNCTION = 'soak.answer';
const INFERENCE_ID_TRAILER = 'keel-inference-id';
const TRIES_PER_MODEL = 3;
const CHAIN = ['weak', 'strong'];
const ALL_TRIES = TRIES_PER_MODEL * CHAIN.length;
const MIN_SUCCESS = 0.999;
const WARM_UP_CONCURRENCY = 5;

// Catalog prices in nano-USD per million tokens (about what the recorded models cost).
const PRICES: Record<string, router.ModelPrice> = {
  weak: {
    inputNanoUsdPerMtok: 600_000_000n,
    outputNanoUsdPerMtok: 600_000_000n,
    cachedInputNanoUsdPerMtok: 300_000_000n,
  },
  strong: {
    inputNanoUsdPerMtok: 10_000_000_000n,
    outputNanoUsdPerMtok: 30_000_000_000n,
    cachedInputNanoUsdPerMtok: 5_000_000_000n,
  },
};

/**
 * Inference's settings: 200 ms a try, 3 tries a model, and a breaker that a 30% random
 * failure rate cannot open (it opens above 90% outages among at least 50 tries in 10 s).
 */
const INFERENCE_ENV = {
  KEEL_PROVIDER_ATTEMPT_TIMEOUT_MS: '200',
  KEEL_PROVIDER_RETRIES: String(TRIES_PER_MODEL - 1),
  KEEL_PROVIDER_BREAKER_FAILURE_RATIO: '0.9',
  KEEL_PROVIDER_BREAKER_MIN_CALLS: '50',
  KEEL_PROVIDER_BREAKER_WINDOW_MS: '10000',
  KEEL_PROVIDER_BREAKER_OPEN_MS: '10000',
};

interface Options {
  requests: number;
  concurrency: number;
  faults: FaultPlan;
  seed: number;
  deadlineMs: number;
  settleTimeoutMs: number;
  upstream: 'process' | 'in-process';
  warmUp: number;
}

/** What the upstream's side of the soak needs: its URL, and its counters once it is stopped. */
interface Upstream {
  url: string;
  stop(): Promise<Pick<SimUpstreamCounters, 'requests' | 'answered' | 'faults'>>;
}

interface Outcome {
  ok: boolean;
  latencyMs: number;
  inferenceId?: string;
  attempts?: inference.Attempt[];
  code?: grpc.status;
  details?: string;
}

interface Tenant {
  id: string;
  key: string;
}

interface LedgerLine {
  failed: boolean;
  cost_nano_usd: bigint;
}

interface LedgerDoc {
  tenant_id: string;
  inference_id: string;
  line_items: LedgerLine[];
  total_nano_usd: bigint;
}

async function main(): Promise<void> {
  const options = optionsOf();
  const prompts = readPrompts();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-soak-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  let passed = false;
  try {
    passed = await soak(options, prompts);
  } finally {
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(passed ? 0 : 1);
}

function optionsOf(): Options {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '50' },
      'fault-rate': { type: 'string', default: '0.3' },
      'fault-shares': { type: 'string', default: 'http500=40,http429=20,reset=20,timeout=20' },
      'retry-after': { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      'deadline-ms': { type: 'string', default: '60000' },
      'settle-timeout-ms': { type: 'string', default: '120000' },
      upstream: { type: 'string', default: 'in-process' },
      'warm-up': { type: 'string', default: '500' },
    },
  });
  const shares = Object.fromEntries(
    values['fault-shares'].split(',').map((pair) => {
      const [kind, weight] = pair.split('=');
      if (!FAULT_KINDS.includes(kind as FaultKind)) {
        throw new Error(`--fault-shares: ${kind} is not one of ${FAULT_KINDS.join(', ')}`);
      }
      return [kind, Number(weight)];
    }),
  );
  if (values.upstream !== 'process' && values.upstream !== 'in-process') {
    throw new Error('--upstream is process or in-process');
  }
  const count = (name: string, value: string, min = 1): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) {
      throw new Error(`--${name} must be a whole number of at least ${min}`);
    }
    return parsed;
  };
  return {
    requests: count('requests', values.requests),
    concurrency: count('concurrency', values.concurrency),
    faults: {
      rate: Number(values['fault-rate']),
      shares,
      retryAfterSeconds: Number(values['retry-after']),
    },
    seed: Number(values.seed),
    deadlineMs: Number(values['deadline-ms']),
    settleTimeoutMs: Number(values['settle-timeout-ms']),
    upstream: values.upstream,
    warmUp: count('warm-up', values['warm-up'], 0),
  };
}

function readPrompts(): string[] {
  if (!fs.existsSync(DEFAULT_REPLAY_FILE)) {
    throw new Error(
      `the soak needs the routing data set at ${DEFAULT_REPLAY_FILE} (see ../shared/data/README.md)`,
    );
  }
  return fs
    .readFileSync(DEFAULT_REPLAY_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => (JSON.parse(line) as { prompt: string }).prompt);
}

async function soak(options: Options, prompts: string[]): Promise<boolean> {
  const secret = `sk-soak-${randomBytes(12).toString('hex')}`;
  const upstream = await startUpstream(options, secret);
  let upstreamStopped = false;
  let cluster: Cluster | undefined;
  let clients: Clients | undefined;
  try {
    cluster = await startCluster(['router', 'billing']);
    await cluster.start('inference', { ...INFERENCE_ENV, [SECRET_ENV]: secret });
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const tenants = await configure(cluster, clients, upstream.url, prompts[0]);
    const stub = inferenceClient(cluster.address('inference'));
    // A freshly started inference is slow for its first calls (its code not yet optimized, no
    // open connections): warmed up at a lower concurrency, the soak measures the steady state.
    const warmUp = { ...options, requests: options.warmUp, concurrency: WARM_UP_CONCURRENCY };
    await run(stub, tenants.warmUp.key, warmUp, prompts);

    const soakStart = new Date();
    const cpuBefore = machineCpu();
    const started = performance.now();
    const outcomes = await run(stub, tenants.soaked.key, options, prompts);
    const elapsedMs = performance.now() - started;
    const busy = machineCpu().busyShareSince(cpuBefore);
    stub.close();

    await billingSettled(cluster, options.settleTimeoutMs);
    const counters = await upstream.stop();
    upstreamStopped = true;
    const ledger = await cluster
      .db('billing')
      .collection<LedgerDoc>('ledger')
      .find(
        {},
        { projection: { _id: 0, tenant_id: 1, inference_id: 1, line_items: 1, total_nano_usd: 1 } },
      )
      .toArray();
    const circuitsOpened = cluster
      .logOf('inference')
      .split('\n')
      .filter((line) => line.includes('"breaker_state":"open"'))
      .map((line) => JSON.parse(line) as { time: string; provider_model: string });
    return report(options, {
      outcomes,
      elapsedMs,
      busy,
      counters,
      ledger,
      tenantId: tenants.soaked.id,
      soakStart,
      circuitsOpened,
    });
  } finally {
    clients?.close();
    if (cluster) {
      keepLogs(cluster);
      await cluster.shutdown();
    }
    if (!upstreamStopped) await upstream.stop();
  }
}

/** The services' logs outlive the cluster, for a failed check to be looked into. */
function keepLogs(cluster: Cluster): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-soak-logs-'));
  for (const service of ['router', 'inference', 'billing'] as const) {
    try {
      fs.writeFileSync(path.join(dir, `${service}.log`), cluster.logOf(service));
    } catch {
      // A service that never started has no log.
    }
  }
  console.log(`service logs: ${dir}`);
}

/**
 * The sim upstream in this process (the default: on two cores the soak ran about 10% faster at
 * the same CPU load than with the upstream in a process of its own), or in its own process.
 */
async function startUpstream(options: Options, secret: string): Promise<Upstream> {
  if (options.upstream === 'in-process') {
    const sim = await startSimUpstream({ secret, faults: options.faults, seed: options.seed });
    return {
      url: sim.url,
      stop: async () => {
        const counters = sim.counters();
        await sim.stop();
        return counters;
      },
    };
  }
  // Its own process prints its URL first and its counters when it is stopped.
  const shares = Object.entries(options.faults.shares)
    .map(([kind, weight]) => `${kind}=${weight}`)
    .join(',');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      'tsx/cjs',
      path.join(__dirname, '../sim-upstream/src/main.ts'),
      ...['--port', '0', '--secret', secret, '--seed', String(options.seed)],
      ...['--fault-rate', String(options.faults.rate), '--fault-shares', shares],
      ...['--retry-after', String(options.faults.retryAfterSeconds)],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [url] = (await once(lines, 'line')) as [string];
  const last: string[] = [];
  lines.on('line', (line: string) => last.push(line));
  return {
    url: url.trim(),
    stop: async () => {
      if (child.exitCode !== null) throw new Error('the sim upstream ended before it was stopped');
      child.kill('SIGTERM');
      await once(child, 'exit');
      return JSON.parse(last.at(-1) ?? '{}') as Awaited<ReturnType<Upstream['stop']>>;
    },
  };
}

/** The provider, the two replay models, and a tenant whose function chains them. */
async function configure(
  cluster: Cluster,
  clients: Clients,
  upstreamUrl: string,
  warmUpPrompt: string,
): Promise<{ soaked: Tenant; warmUp: Tenant }> {
  const admin = cluster.adminKey();
  await clients.putProvider(admin, {
    name: 'upstream',
    kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
    baseUrl: `${upstreamUrl}/v1`,
    secretEnv: SECRET_ENV,
  });
  for (const name of CHAIN) {
    await clients.putModel(admin, {
      name,
      provider: 'upstream',
      providerModel: name,
      tier: name === 'weak' ? router.ModelTier.MODEL_TIER_SMALL : router.ModelTier.MODEL_TIER_LARGE,
      contextWindow: 32_000n,
      maxOutputTokens: 4_096n,
      price: PRICES[name],
      tokenizer: 'o200k_base',
      capabilities: [],
    });
  }
  const putTenant = async (name: string) => {
    const created = await clients.createTenant(admin, name);
    const id = created.tenant!.tenantId;
    await clients.putFunction(admin, {
      tenantId: id,
      functionName: FUNCTION,
      variants: [{ variantName: 'v1', modelChain: CHAIN, defaultMaxTokens: 1024 }],
      policy: { fixed: { variantName: 'v1' } },
    });
    return { id, key: created.apiKeySecret };
  };
  const soaked = await putTenant('soak');
  // A tenant of its own proves the snapshot reached inference, put after the soak's function,
  // and warms inference up, so the soak tenant's ledger holds only the soak's inferences.
  const warmUp = await putTenant('soak-warm-up');
  await eventually(
    () =>
      clients.complete(warmUp.key, {
        functionName: FUNCTION,
        messages: [userMessage(warmUpPrompt)],
      }),
    { what: 'a first answer through the soak chain', timeoutMs: 30_000 },
  );
  return { soaked, warmUp };
}

/** `requests` calls, `concurrency` at a time, prompts taken in turn. */
async function run(
  stub: inference.InferenceServiceClient,
  key: string,
  { requests, concurrency, deadlineMs }: Options,
  prompts: string[],
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  let done = 0;
  const progress = setInterval(() => process.stderr.write(`  ${done}/${requests}\n`), 10_000);
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      outcomes[i] = await callOnce(stub, key, prompts[i % prompts.length], deadlineMs);
      done += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(progress);
  }
  return outcomes;
}

function callOnce(
  stub: inference.InferenceServiceClient,
  key: string,
  prompt: string,
  deadlineMs: number,
): Promise<Outcome> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  const request = inference.CompleteRequest.fromPartial({
    functionName: FUNCTION,
    messages: [userMessage(prompt)],
  });
  const started = performance.now();
  return new Promise((resolve) => {
    stub.complete(request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
      const latencyMs = performance.now() - started;
      if (!error) {
        resolve({
          ok: true,
          latencyMs,
          inferenceId: response!.inferenceId,
          attempts: response!.attempts,
        });
        return;
      }
      const trailer = error.metadata?.get(INFERENCE_ID_TRAILER)[0];
      resolve({
        ok: false,
        latencyMs,
        inferenceId: typeof trailer === 'string' ? trailer : undefined,
        code: error.code,
        details: error.details,
      });
    });
  });
}

/**
 * Resolves once billing's consumer has acknowledged every InferenceCompleted on the stream:
 * its ack floor at the stream's last sequence, nothing pending or in flight.
 */
async function billingSettled(cluster: Cluster, timeoutMs: number): Promise<void> {
  const bus = await connectBus({
    servers: process.env.NATS_URL!,
    name: 'soak',
    prefix: cluster.prefix,
    logger: pino({ level: 'silent' }),
  });
  try {
    const jsm = await jetstreamManager(bus.connection);
    const stream = streamOf('inference', cluster.prefix).name;
    const durable = durableNameOf('billing', events.inferenceCompleted);
    await eventually(
      async () => {
        const { state } = await jsm.streams.info(stream);
        const consumer = await jsm.consumers.info(stream, durable);
        return (
          consumer.ack_floor.stream_seq >= state.last_seq &&
          consumer.num_pending === 0 &&
          consumer.num_ack_pending === 0
        );
      },
      { what: 'billing to acknowledge every InferenceCompleted', timeoutMs, intervalMs: 250 },
    );
  } finally {
    await bus.drain();
  }
}

interface Results {
  outcomes: Outcome[];
  elapsedMs: number;
  busy: number;
  counters: Awaited<ReturnType<Upstream['stop']>>;
  ledger: LedgerDoc[];
  tenantId: string;
  /** When the soak's calls began, after the warm-up. */
  soakStart: Date;
  /** Inference's log lines of circuits opening. */
  circuitsOpened: Array<{ time: string; provider_model: string }>;
}

function report(options: Options, results: Results): boolean {
  const { outcomes, elapsedMs, busy, counters, ledger, tenantId, soakStart } = results;
  const successes = outcomes.filter((outcome) => outcome.ok);
  const failures = outcomes.filter((outcome) => !outcome.ok);
  const soakLedger = ledger.filter((doc) => doc.tenant_id === tenantId);
  const byId = new Map(soakLedger.map((doc) => [doc.inference_id, doc]));
  const lineItems = ledger.reduce((sum, doc) => sum + doc.line_items.length, 0);
  const checks: Array<[string, boolean, string]> = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push([name, ok, detail]);

  const { faults } = options;
  console.log(
    `Soak: ${options.requests} Complete calls at concurrency ${options.concurrency} after ` +
      `${options.warmUp} to warm up at ${WARM_UP_CONCURRENCY}, chain ` +
      `${CHAIN.join(' → ')} (${TRIES_PER_MODEL} tries each, 200 ms a try), deadline ` +
      `${options.deadlineMs} ms; upstream (${options.upstream}) fails ${faults.rate * 100}% of ` +
      `requests: ${sharesText(faults.shares)}, 429 Retry-After ${faults.retryAfterSeconds} s, seed ${options.seed}`,
  );

  const successRate = successes.length / outcomes.length;
  check(
    `≥ ${MIN_SUCCESS * 100}% succeed`,
    successRate >= MIN_SUCCESS,
    `${successes.length}/${outcomes.length} (${(successRate * 100).toFixed(2)}%)`,
  );

  const failureCodes = countBy(failures.map((f) => grpc.status[f.code!] ?? String(f.code)));
  const notAllTries = failures.filter((failure) => {
    const doc = failure.inferenceId ? byId.get(failure.inferenceId) : undefined;
    return (
      failure.code !== grpc.status.UNAVAILABLE ||
      !doc ||
      doc.line_items.length !== ALL_TRIES ||
      !doc.line_items.every((item) => item.failed)
    );
  });
  check(
    `every failure is UNAVAILABLE after ${ALL_TRIES} failed attempts`,
    notAllTries.length === 0,
    `${failures.length} failed (${formatCounts(failureCodes)}); ${notAllTries.length} not so` +
      notAllTries
        .slice(0, 3)
        .map((f) => `\n      ${f.inferenceId ?? '(no inference id)'}: ${f.details}`)
        .join(''),
  );

  const answeredIds = outcomes.map((outcome) => outcome.inferenceId).filter(Boolean) as string[];
  const missing = answeredIds.filter((id) => !byId.has(id));
  check(
    'the ledger has one document per inference',
    soakLedger.length === outcomes.length && byId.size === outcomes.length && missing.length === 0,
    `${soakLedger.length} documents, ${byId.size} distinct inference ids, ` +
      `${answeredIds.length} ids answered, ${missing.length} of them not in the ledger`,
  );

  check(
    'ledger line items = requests the upstream counted',
    lineItems === counters.requests,
    `${lineItems} line items (the warm-up's included), ${counters.requests} upstream requests`,
  );

  const latencies = successes.map((s) => s.latencyMs).sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(q * latencies.length) - 1))];
  const attempts = countBy(
    outcomes.map((outcome) =>
      String(
        outcome.attempts?.length ??
          (outcome.inferenceId ? byId.get(outcome.inferenceId)?.line_items.length : undefined) ??
          '?',
      ),
    ),
  );
  const served = countBy(successes.map((s) => s.attempts!.at(-1)!.model));
  const lines = soakLedger.flatMap((doc) => doc.line_items);
  const sum = (items: LedgerLine[]) =>
    items.reduce((total, item) => total + BigInt(item.cost_nano_usd), 0n);
  const totals = soakLedger.reduce((total, doc) => total + BigInt(doc.total_nano_usd), 0n);

  console.log(
    `\nthroughput  ${((outcomes.length * 1000) / elapsedMs).toFixed(1)} calls/s ` +
      `(${(elapsedMs / 1000).toFixed(1)} s; machine CPU ${(busy * 100).toFixed(0)}% busy on ${os.cpus().length} cores)`,
  );
  console.log(
    `latency     successes p50 ${at(0.5).toFixed(0)} ms  p90 ${at(0.9).toFixed(0)} ms  ` +
      `p99 ${at(0.99).toFixed(0)} ms  max ${latencies.at(-1)!.toFixed(0)} ms`,
  );
  console.log(`attempts    ${formatCounts(attempts, true)} (attempts: calls)`);
  console.log(`served by   ${formatCounts(served)}`);
  console.log(
    `upstream    ${counters.requests} requests (the warm-up's included), ${counters.answered} answered; ` +
      `faults ${formatCounts(counters.faults)}`,
  );
  const [duringWarmUp, duringSoak] = [false, true].map((soaking) =>
    results.circuitsOpened
      .filter(({ time }) => new Date(time) >= soakStart === soaking)
      .map(({ time, provider_model }) => `${provider_model} at ${time}`),
  );
  console.log(
    `circuits    opened during the soak: ${duringSoak.join(', ') || 'never'}; ` +
      `during the warm-up: ${duringWarmUp.join(', ') || 'never'}`,
  );
  console.log(
    `failed tries as inference saw them (the soak's calls): ${formatCounts(triesFailedBy(outcomes))}`,
  );
  console.log(
    `ledger      ${soakLedger.length} documents, ${lines.length} line items ` +
      `(${lines.filter((l) => l.failed).length} failed); total ${totals} nano-USD ` +
      `(failed attempts ${sum(lines.filter((l) => l.failed))}, line items sum ${sum(lines)})`,
  );
  console.log('\nchecks');
  for (const [name, ok, detail] of checks) {
    console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  }
  return checks.every(([, ok]) => ok);
}

/**
 * The soak's failed tries by cause: the answered calls' attempts, and the failed calls' reasons
 * (`model (reason); …` in the UNAVAILABLE details).
 */
function triesFailedBy(outcomes: Outcome[]): Record<string, number> {
  const reasons = outcomes.flatMap((outcome) =>
    outcome.ok
      ? outcome.attempts!.filter((a) => a.errorMessage).map((a) => a.errorMessage)
      : (outcome.details ?? '').split('; '),
  );
  return countBy(
    reasons.map((reason) => {
      if (/timed out/.test(reason)) return 'timeout';
      if (/circuit open/.test(reason)) return 'circuit open';
      const status = /\b([45]\d\d)\b/.exec(reason);
      return status ? `http${status[1]}` : 'connection';
    }),
  );
}

function sharesText(shares: FaultPlan['shares']): string {
  const total = Object.values(shares).reduce((sum, weight) => sum + (weight ?? 0), 0);
  return Object.entries(shares)
    .map(([kind, weight]) => `${kind} ${(((weight ?? 0) / total) * 100).toFixed(0)}%`)
    .join(', ');
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function formatCounts(counts: Record<string, number>, numeric = false): string {
  const entries = Object.entries(counts);
  if (numeric) entries.sort(([a], [b]) => Number(a) - Number(b));
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k}: ${n}`).join(', ');
}

/** The machine's CPU time from /proc/stat (Linux), to tell how busy the run kept it. */
function machineCpu() {
  const line = fs.existsSync('/proc/stat')
    ? fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]
    : '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // The fourth and fifth fields are idle and I/O wait.
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return {
    idle,
    total,
    busyShareSince(before: { idle: number; total: number }): number {
      const spent = total - before.total;
      return spent === 0 ? NaN : 1 - (idle - before.idle) / spent;
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
