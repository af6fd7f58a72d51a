// Latency of sequential Complete calls: one client, one channel, the sim model at zero
// latency, the services running as real processes on the local servers.
//   npm run bench:complete [-- --calls 1000 --warm-up 100 --services router,inference,billing,evaluation]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { eventually } from '@keel/testing';
import { startLocalServers, type ServiceName } from '@keel/local';
import { startCluster } from '../support/cluster';
import { clientsOf, userMessage } from '../support/clients';

interface Options {
  calls: number;
  warmUp: number;
  services: ServiceName[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '1000' },
      'warm-up': { type: 'string', default: '100' },
      services: { type: 'string', default: 'router,inference,billing,evaluation' },
    },
  });
  const options = {
    calls: Number(values.calls),
    warmUp: Number(values['warm-up']),
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

async function measure({ calls, warmUp, services }: Options): Promise<void> {
  const cluster = await startCluster(services);
  const clients = clientsOf(cluster.address('router'), cluster.address('inference'));
  try {
    const tenant = await clients.createTenant(cluster.adminKey(), 'bench');
    const key = tenant.apiKeySecret;
    const request = (i: number) => ({ messages: [userMessage(`Benchmark question ${i}?`)] });
    await eventually(() => clients.complete(key, request(0)), { what: 'the new key at inference' });
    for (let i = 0; i < warmUp; i++) await clients.complete(key, request(i));
    const latencies: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = process.hrtime.bigint();
      await clients.complete(key, request(i));
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
    const mean = latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
    console.log(
      `${calls} sequential Complete calls after ${warmUp} warm-up calls ` +
        `(sim, 0 ms latency; running: ${services.join(', ')})`,
    );
    console.log(
      `p50 ${at(0.5).toFixed(2)} ms  p90 ${at(0.9).toFixed(2)} ms  p99 ${at(0.99).toFixed(2)} ms  ` +
        `max ${latencies[latencies.length - 1].toFixed(2)} ms  mean ${mean.toFixed(2)} ms`,
    );
  } finally {
    clients.close();
    await cluster.shutdown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
