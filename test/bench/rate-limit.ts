// What a rate limit costs a request: a lease's compare-and-set round trip to NATS KV, an
// admission spending a lease held in the process, and, for scale, the updates per second one
// shared counter takes when every request would write it (what leases avoid).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Bus, KvConflictError, connectBus } from '@keel/bus';
import { startLocalServers } from '@keel/local';
import { uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { RateLimiter } from '../../services/inference/src/rate-limit/limiter';
import type { RateLimit } from '../../services/inference/src/rate-limit/limits';
import { RateLimitCounters } from '../../services/inference/src/store/rate-limit-counters';

const logger = pino({ level: 'silent' });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      leases: { type: 'string', default: '1000' },
      admits: { type: 'string', default: '200000' },
      replicas: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '2' },
    },
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-'));
  const servers = await startLocalServers({ dataDir });
  const prefix = uniqueName('bench');
  const bucketName = `${prefix}_ratelimits`;
  const casBucketName = `${prefix}_cas`;
  const buses: Bus[] = [];
  try {
    for (let i = 0; i < Number(values.replicas); i++) {
      buses.push(
        await connectBus({ servers: servers.natsUrl, name: `bench-${i}`, prefix, logger }),
      );
    }
    const counters = await Promise.all(buses.map((bus) => RateLimitCounters.open(bus)));

    const leases = Number(values.leases);
    let started = performance.now();
    for (let i = 0; i < leases; i++) await counters[0].lease('bench.lease.rpm.0', 1e12, 0);
    const leaseUs = ((performance.now() - started) * 1000) / leases;
    console.log(`lease (get + compare-and-set), one after another: ${leaseUs.toFixed(0)} µs each`);

    const limiter = new RateLimiter(counters[0], {
      whenUnavailable: 'allow',
      leaseTimeoutMs: 250,
      logger,
    });
    const limits: RateLimit[] = [
      { scope: { tenantId: 'bench', functionName: null }, kind: 'rpm', perMinute: 1e12 },
      { scope: { tenantId: 'bench', functionName: 'f' }, kind: 'tpm', perMinute: 1e12 },
    ];
    const admits = Number(values.admits);
    for (let i = 0; i < admits / 10; i++) await limiter.admit(limits, 100);
    started = performance.now();
    for (let i = 0; i < admits; i++) await limiter.admit(limits, 100);
    const admitUs = ((performance.now() - started) * 1000) / admits;
    started = performance.now();
    for (let i = 0; i < admits; i++) await limiter.admit([], 100);
    const unlimitedUs = ((performance.now() - started) * 1000) / admits;
    console.log(
      `admit under a tenant rpm and a function tpm, leases held: ${admitUs.toFixed(2)} µs ` +
        `(no limit: ${unlimitedUs.toFixed(2)} µs)`,
    );

    // Every replica writing one counter per request: compare-and-set until it wins.
    const seconds = Number(values.seconds);
    const until = Date.now() + seconds * 1000;
    let wins = 0;
    let conflicts = 0;
    const buckets = await Promise.all(buses.map((bus) => bus.kv(casBucketName, { history: 1 })));
    await Promise.all(
      buckets.map(async (bucket) => {
        while (Date.now() < until) {
          const entry = await bucket.get('bench.cas');
          const next = Buffer.from(String(Number(entry ? Buffer.from(entry.value) : 0) + 1));
          try {
            if (entry) await bucket.update('bench.cas', next, entry.revision);
            else await bucket.create('bench.cas', next);
            wins += 1;
          } catch (error) {
            if (!(error instanceof KvConflictError)) throw error;
            conflicts += 1;
          }
        }
      }),
    );
    console.log(
      `one counter written per request by ${buckets.length} connections: ` +
        `${Math.round(wins / seconds)} updates/s (${conflicts} lost races)`,
    );
  } finally {
    if (buses[0]) {
      const jsm = await jetstreamManager(buses[0].connection);
      for (const bucket of [bucketName, casBucketName]) {
        await jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
      }
    }
    await Promise.all(buses.map((bus) => bus.drain()));
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
