// A rate limit holds across inference replicas: two inference OS processes on the same bus
// share one tenant's requests per minute, through leases of the window's shared counter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { type ServiceError, status } from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { bucketsOf, inference } from '@keel/contracts';
import { call, inferenceClient } from '@keel/kit';
import { freePort, spawnService, waitUntilServing } from '@keel/local';
import { SNAPSHOT_KEY, openSnapshotBuckets } from '@keel/snapshots';
import { createLogger } from '@keel/telemetry';
import { testServers, uniqueName, windowWithTimeLeft } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { keysSnapshot, userAsks } from '../app.fixture';
import { limitedTenant, limitsSnapshot } from './rate-limit.fixture';
import { RETRY_AFTER_TRAILER } from './step';
import { WINDOW_MS, leaseSizeOf, windowStartOf } from './window';

jest.setTimeout(180_000);

const LIMIT = 60;
const REQUESTS = 3 * LIMIT;
/** Requests in flight at each process at once. */
const CONCURRENCY = 6;

interface Replica {
  address: string;
  child: ChildProcess;
  exited: Promise<void>;
}

describe('a rate limit across two inference processes', () => {
  const logger = createLogger('rate-limit-replicas-test', 'silent');
  const prefix = uniqueName('rl');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-rate-limit-'));
  const tenant = limitedTenant({ requestsPerMinute: BigInt(LIMIT) }, [{ name: 'default' }]);
  const replicas: Replica[] = [];
  let bus: Bus;

  async function startReplica(i: number): Promise<Replica> {
    const { natsUrl, mongoUrl } = testServers();
    const port = await freePort();
    const log = fs.openSync(path.join(workDir, `inference-${i}.log`), 'a');
    const child = spawnService(
      'inference',
      {
        ...process.env,
        NATS_URL: natsUrl,
        MONGO_URL: mongoUrl,
        KEEL_BUS_PREFIX: prefix,
        KEEL_DB_PREFIX: prefix,
        KEEL_BIND_HOST: '127.0.0.1',
        KEEL_INFERENCE_PORT: String(port),
        LOG_LEVEL: 'info',
      },
      ['ignore', log, log],
    );
    fs.closeSync(log);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const replica = { address: `127.0.0.1:${port}`, child, exited };
    replicas.push(replica);
    const died = exited.then(() => {
      throw new Error(`inference ${i} ended before serving; see ${workDir}`);
    });
    died.catch(() => undefined);
    await Promise.race([waitUntilServing(replica.address, 90_000), died]);
    return replica;
  }

  beforeAll(async () => {
    bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'rate-limit-test',
      prefix,
      logger,
    });
    const buckets = await openSnapshotBuckets(bus);
    await buckets.policy.put(SNAPSHOT_KEY, limitsSnapshot([tenant]));
    await buckets.keys.put(SNAPSHOT_KEY, keysSnapshot([tenant.key]));
    await Promise.all([startReplica(0), startReplica(1)]);
  });

  afterAll(async () => {
    for (const replica of replicas) replica.child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    await bus?.drain();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it(`admits between the limit less one lease and the limit, all processes together, within one window`, async () => {
    const clients = replicas.map((replica) => inferenceClient(replica.address));
    const admitted = [0, 0];
    const refusals: ServiceError[] = [];
    let next = 0;
    const window = await windowWithTimeLeft(WINDOW_MS, 30_000);
    // Each process gets every other request, CONCURRENCY at a time.
    await Promise.all(
      [0, 1].flatMap((i) =>
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < REQUESTS) {
            const n = next++;
            try {
              await call<inference.CompleteResponse>(tenant.key.token, (metadata, callback) =>
                clients[i].complete(
                  inference.CompleteRequest.fromPartial({ messages: userAsks(`question ${n}`) }),
                  metadata,
                  callback,
                ),
              );
              admitted[i] += 1;
            } catch (error) {
              refusals.push(error as ServiceError);
            }
          }
        }),
      ),
    );
    expect(windowStartOf(Date.now())).toBe(window);
    for (const client of clients) client.close();

    const total = admitted[0] + admitted[1];
    const jsm = await jetstreamManager(bus.connection);
    const counterWrites = (await jsm.streams.info(`KV_${bucketsOf(prefix).rateLimits}`)).state
      .last_seq;
    console.log(
      `${REQUESTS} requests at a limit of ${LIMIT} per minute: ${total} admitted ` +
        `(${admitted[0]} + ${admitted[1]}), ${refusals.length} refused; ` +
        `${counterWrites} writes of the shared counter`,
    );
    expect(total).toBeGreaterThanOrEqual(LIMIT - leaseSizeOf(LIMIT));
    // The stated bound: never more than the limit while NATS KV answers.
    expect(total).toBeLessThanOrEqual(LIMIT);
    // Both processes spent budget of the same counter: a limit per process would admit 2 × 60.
    expect(admitted[0]).toBeGreaterThan(0);
    expect(admitted[1]).toBeGreaterThan(0);
    expect(refusals).toHaveLength(REQUESTS - total);
    for (const refusal of refusals) {
      expect(refusal.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refusal.details).toMatch(
        `rate limit: tenant ${tenant.tenantId} ${LIMIT} requests per minute`,
      );
      expect(Number(refusal.metadata.get(RETRY_AFTER_TRAILER)[0])).toBeGreaterThan(0);
    }
    // A lease per write, not a write per request.
    expect(counterWrites).toBeLessThanOrEqual(LIMIT / leaseSizeOf(LIMIT));
  });
});
