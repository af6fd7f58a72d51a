// Latency of small Complete calls from several clients, first alone, then while one
// 400,000-character unbroken message (the longest input answered) is in flight: the sim model
// at zero latency, the services running as real processes on the local servers.
//   npm run bench:large-input [-- --clients 4 --rounds 3 --calls 200 --shape a|cjk|mixed
//                                 --services router,inference,billing,evaluation]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { eventually } from '@keel/testing';
import { startLocalServers, type ServiceName } from '@keel/local';
import { startCluster } from '../support/cluster';
import { type Clients, clientsOf, userMessage } from '../support/clients';

const LARGE_CHARS = 400_000; // KEEL_MAX_INPUT_CHARS
// Unbroken runs that still fit sim-small's 128,000-token context window (50,000, 85,000 and
// 68,800 tokens), so the request is answered, not refused.
const SHAPES: Record<string, string> = {
  a: 'a',
  cjk: 'こんにちは',
  mixed: 'a'.repeat(500) + '7'.repeat(500) + '-'.repeat(500) + 'こんにちは'.repeat(100),
};

interface Options {
  clients: number;
  rounds: number;
  calls: number;
  shape: string;
  services: ServiceName[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '3' },
      calls: { type: 'string', default: '200' },
      shape: { type: 'string', default: 'a' },
      services: { type: 'string', default: 'router,inference,billing,evaluation' },
    },
  });
  if (!Object.hasOwn(SHAPES, values.shape)) {
    throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(', ')}`);
  }
  const options = {
    clients: Number(values.clients),
    rounds: Number(values.rounds),
    calls: Number(values.calls),
    shape: values.shape,
    services: values.services.split(',') as ServiceName[],
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  process.env.KEEL_SIM_LATENCY_MS = '0';
  try {
    await measure(options);
  } finally {
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measure({ clients: count, rounds, calls, shape, services }: Options): Promise<void> {
  const cluster = await startCluster(services);
  const clients = Array.from({ length: count + 1 }, () =>
    clientsOf(cluster.address('router'), cluster.address('inference')),
  );
  const [largeClient, ...smallClients] = clients;
  try {
    const tenant = await largeClient.createTenant(cluster.adminKey(), 'bench');
    const key = tenant.apiKeySecret;
    const small = (client: Clients, i: number) =>
      client.complete(key, { messages: [userMessage(`Benchmark question ${i}?`)] });
    await eventually(() => small(largeClient, 0), { what: 'the new key at inference' });
    const unit = SHAPES[shape];
    const large = unit.repeat(Math.ceil(LARGE_CHARS / unit.length)).slice(0, LARGE_CHARS);
    // The first large request starts the counting thread and loads its tokenizer.
    await largeClient.complete(key, { messages: [userMessage(large)] });

    console.log(
      `${count} clients sending small Complete calls (sim, 0 ms latency; ` +
        `${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}; ` +
        `running: ${services.join(', ')})`,
    );
    for (let round = 1; round <= rounds; round++) {
      const alone = await smallCalls(smallClients, small, (_client, i) => i < calls);
      let inFlight = true;
      const started = performance.now();
      const answered = largeClient
        .complete(key, { messages: [userMessage(large)] })
        .finally(() => (inFlight = false));
      const during = await smallCalls(smallClients, small, () => inFlight);
      await answered;
      const largeMs = performance.now() - started;
      console.log(`round ${round}: alone        ${summary(alone)}`);
      console.log(
        `round ${round}: with a ${LARGE_CHARS}-character ${shape} run in ` +
          `flight (answered in ${largeMs.toFixed(0)} ms) ${summary(during)}`,
      );
    }
  } finally {
    for (const client of clients) client.close();
    await cluster.shutdown();
  }
}

/** Each client calls in a loop while `more` says so; the latency of every call, in ms. */
async function smallCalls(
  clients: Clients[],
  call: (client: Clients, i: number) => Promise<unknown>,
  more: (client: Clients, i: number) => boolean,
): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; more(client, i); i++) {
        const started = performance.now();
        await call(client, i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

function summary(latencies: number[]): string {
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)].toFixed(2);
  return `${latencies.length} calls: p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  max ${at(1)} ms`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
