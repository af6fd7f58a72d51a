// The gateway benchmark: Keel's front door and the Portkey gateway in front of the same sim
// upstream (an OpenAI-compatible HTTP server in its own process, answering at once), and the
// upstream called directly, each under the same closed-loop load at each concurrency, one after
// the other on this machine. Keel runs as `npm start` runs it: router, inference, billing and
// evaluation as processes on NATS and a MongoDB wire-protocol server, logging at info; inference
// authenticates, applies the function's guardrails and rate limit, misses its exact cache (every
// prompt differs), calls the upstream over HTTP through an OpenAI-compatible provider, and
// answers once JetStream has stored the event. Then it measures the asynchronous consumers
// (billing and evaluation): their events a second, CPU per event, and how long they take to
// drain what the load left on the stream.
//   npm run bench:gateway [-- --requests 5000 --warm-up 1000 --concurrency 1,50 --consumers during|after --guardrails limits|all --profile <dir>]
// With --profile, inference's CPU profile of each measured Keel run is written to <dir>
// (summarise one with test/bench/profile-summary.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connectBus } from '@keel/bus';
import { descriptorSetPath, durableNameOf, events, router, streamOf } from '@keel/contracts';
import { freePort, startLocalServers } from '@keel/local';
import { eventually } from '@keel/testing';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { type Cluster, startCluster } from '../support/cluster';
import { type Clients, clientsOf, userMessage } from '../support/clients';
import { bombardierRun, ghzRun, type LoadResult, loadClientBinaries } from './load-clients';
import { cpuMsOf, cpuMsOfAll, peakRssMibOf, pidsNamed } from './proc-stats';

const SECRET_ENV = 'KEEL_BENCH_UPSTREAM_KEY';
const MODEL = 'bench-model';
const FUNCTION = 'bench.answer';
const PROMPT = 'What is the capital of France, and why is it there?';
const MAX_TOKENS = 64;
const CONSUMERS = ['billing', 'evaluation'] as const;
const SERVER_COMMANDS = ['nats-server', 'mongod', 'ferretdb'];
const DRAIN_TIMEOUT_MS = 180_000;
const GATEWAYS = ['upstream', 'portkey', 'keel'] as const;
type Gateway = (typeof GATEWAYS)[number];

interface Options {
  requests: number;
  warmUp: number;
  concurrencies: number[];
  /** `during`: billing and evaluation consume while the load runs; `after`: only after it. */
  consumers: 'during' | 'after';
  guardrails: 'limits' | 'all';
  /** Where inference's CPU profiles of the measured runs go; none when unset. */
  profileDir?: string;
}

interface Row extends LoadResult {
  gateway: Gateway;
  concurrency: number;
  /** The gateway's own processes (Keel: inference; the upstream row: the upstream). */
  cpuMsPerRequest: number;
  upstreamCpuMsPerRequest: number;
  /** NATS and the MongoDB wire-protocol server, which only Keel's requests use. */
  serversCpuMsPerRequest: number;
  peakRssMib: number;
}

interface Drain {
  concurrency: number;
  events: number;
  /** Events not yet acknowledged by each consumer when the load ended. */
  pendingAtEnd: Record<string, number>;
  drainSeconds: number;
  /** Set when the consumers had not drained the stream by DRAIN_TIMEOUT_MS: what they left. */
  pendingLeft?: Record<string, number>;
  /** Events a second each consumer handled, from its first pending event to the drain's end. */
  eventsPerSecond: number;
  cpuMsPerEvent: Record<string, number>;
}

async function main(): Promise<void> {
  const options = optionsOf();
  const tools = loadClientBinaries();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-gateway-bench-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  const secret = `sk-bench-${randomBytes(12).toString('hex')}`;
  const started: Array<{ stop(): Promise<void> }> = [];
  let cluster: Cluster | undefined;
  let clients: Clients | undefined;
  try {
    const upstream = await startNode('sim upstream', [
      '--require',
      require.resolve('tsx/cjs'),
      path.join(__dirname, '../sim-upstream/src/main.ts'),
      ...['--port', '0', '--secret', secret],
    ]);
    started.push(upstream);
    const upstreamUrl = upstream.firstLine.trim();
    const portkeyPort = await freePort();
    const portkey = await startNode(
      'portkey',
      [
        require.resolve('@portkey-ai/gateway/build/start-server.js'),
        '--headless',
        `--port=${portkeyPort}`,
      ],
      { NODE_ENV: 'production' },
    );
    started.push(portkey);
    await eventually(() => fetch(`http://127.0.0.1:${portkeyPort}/`).then((r) => r.ok), {
      what: 'the Portkey gateway to answer',
      timeoutMs: 30_000,
    });

    cluster = await startCluster(['router', ...CONSUMERS]);
    await cluster.start('inference', { [SECRET_ENV]: secret, ...profilingEnv(options) });
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const key = await configure(cluster, clients, upstreamUrl, options);
    if (options.consumers === 'after') for (const c of CONSUMERS) await cluster.stop(c);

    const bus = await connectBus({
      servers: servers.natsUrl,
      name: 'gateway-bench',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    const jsm = await jetstreamManager(bus.connection);
    const keelCluster = cluster;
    const httpHeaders = { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` };
    const httpBody = JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: MAX_TOKENS,
    });
    const loads: Record<
      Gateway,
      (requests: number, concurrency: number, run: string) => Promise<LoadResult>
    > = {
      upstream: (requests, concurrency) =>
        bombardierRun({
          binary: tools.bombardier,
          url: `${upstreamUrl}/v1/chat/completions`,
          headers: httpHeaders,
          body: httpBody,
          requests,
          concurrency,
        }),
      portkey: (requests, concurrency) =>
        bombardierRun({
          binary: tools.bombardier,
          url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
          headers: {
            ...httpHeaders,
            'x-portkey-provider': 'openai',
            'x-portkey-custom-host': `${upstreamUrl}/v1`,
          },
          body: httpBody,
          requests,
          concurrency,
        }),
      keel: (requests, concurrency, run) =>
        ghzRun({
          binary: tools.ghz,
          address: keelCluster.address('inference'),
          call: 'keel.inference.v1.InferenceService.Complete',
          protoset: descriptorSetPath,
          // A prefix of the run's own and the request number: every request misses the cache.
          data: {
            functionName: FUNCTION,
            messages: [
              { role: 'MESSAGE_ROLE_USER', content: `[${run} {{.RequestNumber}}] ${PROMPT}` },
            ],
            maxTokens: MAX_TOKENS,
          },
          metadata: { authorization: `Bearer ${key}` },
          requests,
          concurrency,
        }),
    };
    const pidsOf: Record<Gateway, () => number[]> = {
      upstream: () => [upstream.pid],
      portkey: () => [portkey.pid],
      keel: () => [keelCluster.pid('inference')!],
    };

    const serverPids = pidsNamed(SERVER_COMMANDS);
    const rows: Row[] = [];
    const drains: Drain[] = [];
    const runId = randomBytes(3).toString('hex');
    for (const concurrency of options.concurrencies) {
      for (const gateway of GATEWAYS) {
        const label = `${gateway} c=${concurrency}`;
        process.stderr.write(`${label}: ${options.warmUp} warm-up requests\n`);
        await loads[gateway](options.warmUp, concurrency, `${runId}w${concurrency}`);
        if (gateway === 'keel') await drained(jsm, keelCluster, options);
        process.stderr.write(`${label}: ${options.requests} measured requests\n`);
        const consumerPids = CONSUMERS.map((c) => keelCluster.pid(c));
        const consumerCpu = consumerPids.map((pid) => (pid ? cpuMsOf(pid) : 0));
        const cpuBefore = cpuMsOfAll(pidsOf[gateway]());
        const upstreamBefore = cpuMsOf(upstream.pid);
        const serversBefore = cpuMsOfAll(serverPids);
        const profiling = gateway === 'keel' && options.profileDir !== undefined;
        if (profiling) keelCluster.signal('inference', 'SIGUSR2');
        const result = await loads[gateway](
          options.requests,
          concurrency,
          `${runId}m${concurrency}`,
        );
        if (profiling) await profileWritten(keelCluster, options.profileDir!);
        const cpuMs = cpuMsOfAll(pidsOf[gateway]()) - cpuBefore;
        const upstreamCpuMs = cpuMsOf(upstream.pid) - upstreamBefore;
        const serversCpuMs = cpuMsOfAll(serverPids) - serversBefore;
        rows.push({
          ...result,
          gateway,
          concurrency,
          cpuMsPerRequest: cpuMs / result.requests,
          upstreamCpuMsPerRequest: upstreamCpuMs / result.requests,
          serversCpuMsPerRequest: serversCpuMs / result.requests,
          peakRssMib: pidsOf[gateway]().reduce((sum, pid) => sum + peakRssMibOf(pid), 0),
        });
        if (result.errors > 0) {
          process.stderr.write(
            `${label}: ${result.errors} errors: ${result.errorSamples.join('; ')}\n`,
          );
        }
        if (gateway === 'keel') {
          drains.push(
            await measureDrain(jsm, keelCluster, options, concurrency, result, consumerCpu),
          );
        }
      }
    }
    await bus.drain();
    printReport(options, rows, drains, keelCluster);
  } finally {
    clients?.close();
    await cluster?.shutdown();
    for (const child of started.reverse()) await child.stop();
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function optionsOf(): Options {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '5000' },
      'warm-up': { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '1,50' },
      consumers: { type: 'string', default: 'during' },
      guardrails: { type: 'string', default: 'limits' },
      profile: { type: 'string' },
    },
  });
  const count = (name: string, value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) {
      throw new Error(`--${name} must be a whole number of at least 1, not ${value}`);
    }
    return parsed;
  };
  if (values.consumers !== 'during' && values.consumers !== 'after') {
    throw new Error(`--consumers is during or after, not ${values.consumers}`);
  }
  if (values.guardrails !== 'limits' && values.guardrails !== 'all') {
    throw new Error(`--guardrails is limits or all, not ${values.guardrails}`);
  }
  return {
    requests: count('requests', values.requests),
    warmUp: count('warm-up', values['warm-up']),
    concurrencies: values.concurrency.split(',').map((c) => count('concurrency', c)),
    consumers: values.consumers,
    guardrails: values.guardrails,
    profileDir: values.profile && path.resolve(values.profile),
  };
}

/** The preload that profiles inference between two SIGUSR2s, when --profile is given. */
function profilingEnv(options: Options): NodeJS.ProcessEnv {
  if (!options.profileDir) return {};
  fs.mkdirSync(options.profileDir, { recursive: true });
  return {
    NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile-preload.js')}`,
    KEEL_CPU_PROFILE_DIR: options.profileDir,
  };
}

/** Stops inference's profiler and waits for its file. */
async function profileWritten(cluster: Cluster, dir: string): Promise<void> {
  const before = fs.readdirSync(dir).length;
  cluster.signal('inference', 'SIGUSR2');
  await eventually(() => fs.readdirSync(dir).length > before, {
    what: 'the CPU profile to be written',
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  process.stderr.write(`profile: ${fs.readdirSync(dir).sort().at(-1)} in ${dir}\n`);
}

/** A Node process of the benchmark's own, stopped with SIGTERM; its first stdout line kept. */
async function startNode(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ pid: number; firstLine: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${name} exited (${code}) before it started`);
  });
  const [firstLine] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  exited.catch(() => undefined);
  // Its output is read to the end, so a chatty process never blocks on a full pipe.
  lines.on('line', () => undefined);
  return {
    pid: child.pid!,
    firstLine,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/**
 * The upstream as an OpenAI-compatible provider, its model (tokenizer o200k_base, as OpenAI's
 * models have), and a tenant whose function has guardrails, a rate limit far above the load and
 * an exact cache. Resolves with the tenant's API key once inference answers through it.
 */
async function configure(
  cluster: Cluster,
  clients: Clients,
  upstreamUrl: string,
  options: Options,
): Promise<string> {
  const admin = cluster.adminKey();
  await clients.putProvider(admin, {
    name: 'upstream',
    kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
    baseUrl: `${upstreamUrl}/v1`,
    secretEnv: SECRET_ENV,
  });
  await clients.putModel(admin, {
    name: MODEL,
    provider: 'upstream',
    providerModel: MODEL,
    tier: router.ModelTier.MODEL_TIER_SMALL,
    contextWindow: 128_000n,
    maxOutputTokens: 16_384n,
    price: {
      inputNanoUsdPerMtok: 150_000_000n,
      outputNanoUsdPerMtok: 600_000_000n,
      cachedInputNanoUsdPerMtok: 75_000_000n,
    },
    tokenizer: 'o200k_base',
    capabilities: [],
  });
  const tenant = await clients.createTenant(admin, 'gateway-bench');
  await clients.putFunction(admin, {
    tenantId: tenant.tenant!.tenantId,
    functionName: FUNCTION,
    variants: [{ variantName: 'v1', modelChain: [MODEL], defaultMaxTokens: 256 }],
    policy: { fixed: { variantName: 'v1' } },
    guardrails: guardrailsOf(options),
    rateLimit: { requestsPerMinute: 100_000_000n, tokensPerMinute: 100_000_000_000n },
    cache: { ttl: { seconds: 3_600n, nanos: 0 } },
  });
  const key = tenant.apiKeySecret;
  await eventually(
    () =>
      clients.complete(key, {
        functionName: FUNCTION,
        messages: [userMessage(`first ${PROMPT}`)],
        maxTokens: MAX_TOKENS,
      }),
    { what: 'a first answer through the upstream', timeoutMs: 30_000 },
  );
  return key;
}

function guardrailsOf(options: Options): router.Guardrails {
  const limits = { maxInputTokens: 100_000n, maxMessages: 64, maxOutputTokens: 4_096 };
  if (options.guardrails === 'limits') return router.Guardrails.fromPartial({ limits });
  return router.Guardrails.fromPartial({
    limits,
    pii: { types: [], redactUpstream: false },
    contentSafety: {
      inputAction: router.SafetyAction.SAFETY_ACTION_FLAG,
      outputAction: router.SafetyAction.SAFETY_ACTION_FLAG,
      categories: [],
    },
  });
}

/** Each consumer's events not yet acknowledged (0 for a consumer not started). */
async function pendingOf(jsm: JetStreamManager, cluster: Cluster): Promise<Record<string, number>> {
  const stream = streamOf('inference', cluster.prefix).name;
  const pending: Record<string, number> = {};
  for (const consumer of CONSUMERS) {
    try {
      const info = await jsm.consumers.info(
        stream,
        durableNameOf(consumer, events.inferenceCompleted),
      );
      pending[consumer] = info.num_pending + info.num_ack_pending;
    } catch {
      pending[consumer] = 0;
    }
  }
  return pending;
}

/** Resolves once no consumer has events left; with `--consumers after` starts them first. */
async function drained(jsm: JetStreamManager, cluster: Cluster, options: Options): Promise<void> {
  const wereStopped = options.consumers === 'after';
  if (wereStopped) for (const c of CONSUMERS) await cluster.start(c);
  await eventually(async () => Object.values(await pendingOf(jsm, cluster)).every((n) => n === 0), {
    what: 'billing and evaluation to drain the stream',
    timeoutMs: DRAIN_TIMEOUT_MS,
    intervalMs: 100,
  }).catch(async () => {
    const left = await pendingOf(jsm, cluster);
    process.stderr.write(`warm-up events not drained: ${JSON.stringify(left)}; measuring anyway\n`);
  });
  if (wereStopped) for (const c of CONSUMERS) await cluster.stop(c);
}

/**
 * What the consumers did with one measured run's events: pending when the load ended, the time
 * to drain them, events a second and CPU per event (from the load's start with `--consumers
 * during`; from their start with `after`).
 */
async function measureDrain(
  jsm: JetStreamManager,
  cluster: Cluster,
  options: Options,
  concurrency: number,
  load: LoadResult,
  cpuAtLoadStart: number[],
): Promise<Drain> {
  const pendingAtEnd = await pendingOf(jsm, cluster);
  const loadEnded = performance.now();
  let cpuBefore = cpuAtLoadStart;
  if (options.consumers === 'after') {
    for (const c of CONSUMERS) await cluster.start(c);
    cpuBefore = CONSUMERS.map((c) => cpuMsOf(cluster.pid(c)!));
  }
  const drainStarted = performance.now();
  // A consumer that cannot keep up (or is stuck) is reported with what it left, not waited for.
  let pendingLeft: Record<string, number> = {};
  const drainedInTime = await eventually(
    async () => {
      pendingLeft = await pendingOf(jsm, cluster);
      return Object.values(pendingLeft).every((n) => n === 0);
    },
    {
      what: 'billing and evaluation to drain the stream',
      timeoutMs: DRAIN_TIMEOUT_MS,
      intervalMs: 100,
    },
  ).then(
    () => true,
    () => false,
  );
  const drainEnded = performance.now();
  // Undrained, a consumer's rate and cost per event are unknown: its backlog may predate the load.
  const handled = drainedInTime ? load.requests : NaN;
  const cpuMsPerEvent = Object.fromEntries(
    CONSUMERS.map((c, i) => [
      c,
      (cpuMsOf(cluster.pid(c)!) - cpuBefore[i]) / (pendingLeft[c] ? NaN : load.requests),
    ]),
  );
  if (options.consumers === 'after') for (const c of CONSUMERS) await cluster.stop(c);
  const busySeconds =
    options.consumers === 'after'
      ? (drainEnded - drainStarted) / 1000
      : load.seconds + (drainEnded - loadEnded) / 1000;
  return {
    concurrency,
    events: load.requests,
    pendingAtEnd,
    drainSeconds: (drainEnded - (options.consumers === 'after' ? drainStarted : loadEnded)) / 1000,
    pendingLeft: drainedInTime ? undefined : pendingLeft,
    eventsPerSecond: handled / busySeconds,
    cpuMsPerEvent,
  };
}

function printReport(options: Options, rows: Row[], drains: Drain[], cluster: Cluster): void {
  const cpus = os.cpus();
  console.log(
    `\nGateway benchmark: ${options.requests} requests after ${options.warmUp} warm-up requests ` +
      `per run, closed loop (ghz for Keel's gRPC, bombardier for HTTP); ${cpus.length} × ` +
      `${cpus[0]?.model ?? 'CPU'}; sim upstream in its own process at 0 ms; Keel guardrails: ` +
      `${options.guardrails}; billing and evaluation consuming ${options.consumers} the load.`,
  );
  const header = [
    'gateway',
    'c',
    'RPS',
    'p50 µs',
    'p99 µs',
    'CPU ms/req',
    'upstream CPU ms/req',
    'NATS+DB CPU ms/req',
    'peak RSS MiB',
    'errors',
  ];
  const table = rows.map((row) => [
    row.gateway,
    String(row.concurrency),
    row.rps.toFixed(0),
    row.p50Us.toFixed(0),
    row.p99Us.toFixed(0),
    row.cpuMsPerRequest.toFixed(3),
    row.upstreamCpuMsPerRequest.toFixed(3),
    row.serversCpuMsPerRequest.toFixed(3),
    row.peakRssMib.toFixed(0),
    String(row.errors),
  ]);
  printTable(header, table);

  console.log('\nKeel / Portkey');
  const ratioRows: string[][] = [];
  for (const concurrency of options.concurrencies) {
    const of = (gateway: Gateway) =>
      rows.find((row) => row.gateway === gateway && row.concurrency === concurrency)!;
    const [keel, portkey, upstream] = [of('keel'), of('portkey'), of('upstream')];
    ratioRows.push([
      String(concurrency),
      (keel.rps / portkey.rps).toFixed(2),
      (keel.p50Us / portkey.p50Us).toFixed(2),
      (keel.p99Us / portkey.p99Us).toFixed(2),
      (keel.cpuMsPerRequest / portkey.cpuMsPerRequest).toFixed(2),
      (keel.peakRssMib / portkey.peakRssMib).toFixed(2),
      (keel.p50Us - upstream.p50Us).toFixed(0),
      (portkey.p50Us - upstream.p50Us).toFixed(0),
    ]);
  }
  printTable(
    ['c', 'RPS', 'p50', 'p99', 'CPU/req', 'peak RSS', 'Keel p50 added µs', 'Portkey p50 added µs'],
    ratioRows,
  );

  console.log('\nAsynchronous consumers (billing, evaluation) on the events of each Keel run');
  printTable(
    ['c', 'events', 'pending at load end', 'drain s', 'events/s', 'CPU ms/event'],
    drains.map((d) => [
      String(d.concurrency),
      String(d.events),
      CONSUMERS.map((c) => `${c} ${d.pendingAtEnd[c]}`).join(', '),
      d.pendingLeft
        ? `> ${d.drainSeconds.toFixed(0)} (left ${CONSUMERS.map((c) => `${c} ${d.pendingLeft![c]}`).join(', ')})`
        : d.drainSeconds.toFixed(1),
      fixed(d.eventsPerSecond, 0),
      CONSUMERS.map((c) => `${c} ${fixed(d.cpuMsPerEvent[c], 3)}`).join(', '),
    ]),
  );
  const logLines = cluster.logOf('inference').split('\n').length;
  console.log(`\ninference wrote ${logLines} log lines in all (LOG_LEVEL=info)`);
}

/** `value` with `digits` decimals; n/a for a figure that could not be measured. */
function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
