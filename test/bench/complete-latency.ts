// Latency of sequential Complete calls: one client, one channel, the sim model at zero
// latency, router + inference + billing + evaluation running as real processes.
//   npm run bench:complete [-- <calls> <warm-up calls>]
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { startLocalServers } from '../../deploy/local/servers';
import { startCluster } from '../support/cluster';
import { clientsOf, userMessage } from '../support/clients';

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 1000);
  const warmUp = Number(process.argv[3] ?? 100);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  const cluster = await startCluster(['router', 'inference', 'billing', 'evaluation']);
  const clients = clientsOf(cluster.address('router'), cluster.address('inference'));
  try {
    const tenant = await clients.createTenant(cluster.adminKey(), 'bench');
    const key = tenant.apiKeySecret;
    const request = (i: number) => ({ messages: [userMessage(`Benchmark question ${i}?`)] });
    for (let attempt = 0; ; attempt++) {
      try {
        await clients.complete(key, request(0));
        break;
      } catch (error) {
        if (attempt > 100) throw error; // the new key has not reached inference yet
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
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
      `${calls} sequential Complete calls after ${warmUp} warm-up calls (sim, 0 ms latency)`,
    );
    console.log(
      `p50 ${at(0.5).toFixed(2)} ms  p90 ${at(0.9).toFixed(2)} ms  p99 ${at(0.99).toFixed(2)} ms  ` +
        `max ${latencies[latencies.length - 1].toFixed(2)} ms  mean ${mean.toFixed(2)} ms`,
    );
  } finally {
    clients.close();
    await cluster.shutdown();
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
