// Runs Keel services as real processes on the test servers, each test cluster with its own
// bus prefix, database prefix and ports, so cross-service tests see only their own data.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { freePort, testServers, uniqueName } from '@keel/testing';
import { waitUntilServing, portVariable, spawnService, type ServiceName } from '@keel/local';

export interface Cluster {
  /** Bus and database prefix of this cluster. */
  prefix: string;
  address(service: ServiceName): string;
  /** The operator's admin key, written by the router at its first start. */
  adminKey(): string;
  start(service: ServiceName, extraEnv?: NodeJS.ProcessEnv): Promise<void>;
  stop(service: ServiceName): Promise<void>;
  /** SIGKILL, as a crash: nothing is drained or flushed. */
  kill(service: ServiceName): Promise<void>;
  /** Sends `signal` without waiting for anything. */
  signal(service: ServiceName, signal: NodeJS.Signals): void;
  /** Resolves with the exit signal or code when the process ends by itself. */
  exited(service: ServiceName): Promise<string>;
  db(service: ServiceName): Db;
  logOf(service: ServiceName): string;
  /** The process id of a started service, for benchmarks that read its CPU time. */
  pid(service: ServiceName): number | undefined;
  shutdown(): Promise<void>;
}

export interface ClusterOptions {
  /** A NATS server of the test's own, instead of the suite's. */
  natsUrl?: string;
}

export async function startCluster(
  services: ServiceName[],
  options: ClusterOptions = {},
): Promise<Cluster> {
  const prefix = uniqueName('e');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-cluster-'));
  const adminKeyFile = path.join(workDir, 'admin-key');
  const { mongoUrl } = testServers();
  const natsUrl = options.natsUrl ?? testServers().natsUrl;
  const mongo = await MongoClient.connect(mongoUrl, { useBigInt64: true });
  const ports = new Map<ServiceName, number>();
  const processes = new Map<ServiceName, ChildProcess>();
  const exits = new Map<ServiceName, Promise<string>>();

  const logFile = (service: ServiceName) => path.join(workDir, `${service}.log`);
  const address = (service: ServiceName) => `127.0.0.1:${ports.get(service)}`;

  const cluster: Cluster = {
    prefix,
    address,
    adminKey: () => fs.readFileSync(adminKeyFile, 'utf8').trim(),
    async start(service, extraEnv = {}) {
      if (!ports.has(service)) ports.set(service, await freePort());
      const log = fs.openSync(logFile(service), 'a');
      const child = spawnService(
        service,
        {
          ...process.env,
          NATS_URL: natsUrl,
          MONGO_URL: mongoUrl,
          KEEL_BUS_PREFIX: prefix,
          KEEL_DB_PREFIX: prefix,
          KEEL_BIND_HOST: '127.0.0.1',
          KEEL_BOOTSTRAP_KEY_FILE: adminKeyFile,
          LOG_LEVEL: 'info',
          [portVariable(service)]: String(ports.get(service)),
          ...extraEnv,
        },
        ['ignore', log, log],
      );
      fs.closeSync(log);
      processes.set(service, child);
      exits.set(
        service,
        new Promise((resolve) =>
          child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
        ),
      );
      const died = exits.get(service)!.then((how) => {
        throw new Error(`${service} ended (${how}) before serving:\n${tail(logFile(service))}`);
      });
      await Promise.race([waitUntilServing(address(service), 60_000), died]);
      // `died` rejects whenever the service ends; that is an error only before it served.
      died.catch(() => undefined);
    },
    async stop(service) {
      await signal(service, 'SIGTERM');
    },
    async kill(service) {
      await signal(service, 'SIGKILL');
    },
    signal(service, name) {
      processes.get(service)?.kill(name);
    },
    exited: (service) =>
      exits.get(service) ?? Promise.reject(new Error(`${service} never started`)),
    db: (service) => mongo.db(`${prefix}_${service}`),
    logOf: (service) => fs.readFileSync(logFile(service), 'utf8'),
    pid: (service) => processes.get(service)?.pid,
    async shutdown() {
      await Promise.all([...processes.keys()].map((service) => signal(service, 'SIGTERM')));
      await mongo.close();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };

  async function signal(service: ServiceName, name: NodeJS.Signals): Promise<void> {
    const child = processes.get(service);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exits.get(service);
    clearTimeout(timer);
  }

  try {
    for (const service of services) await cluster.start(service);
  } catch (error) {
    await cluster.shutdown();
    throw error;
  }
  return cluster;
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}
