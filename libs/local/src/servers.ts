// Finds or starts the real servers Keel needs on this machine: NATS with JetStream and a
// MongoDB wire-protocol server (mongod if present, else FerretDB with its SQLite handler).
// Used by `npm start` and by the test suite when no container runtime is available.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cachedGoBinary, defaultCacheDir, run, type CacheOptions } from '@keel/go-tools';
import { answersNats, findOnPath, startNatsServer } from './nats-server';
import { MongoClient } from 'mongodb';

const FERRETDB = { name: 'ferretdb', version: 'v1.24.2', minGo: [1, 24] as [number, number] };
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

export interface ServerUrls {
  natsUrl: string;
  mongoUrl: string;
}

export interface LocalServers extends ServerUrls {
  /** Stops the servers this call started; servers it found running are left alone. */
  stop(): Promise<void>;
}

export interface LocalServerOptions {
  /** Where started servers keep their data. */
  dataDir: string;
  /** Where built tools are cached (the FerretDB binary). */
  cacheDir?: string;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export async function startLocalServers(options: LocalServerOptions): Promise<LocalServers> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const started: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((child) => stopProcess(child)));
  };
  try {
    const natsUrl = await ensureNats(env, options.dataDir, log, started);
    const mongoUrl = await ensureMongo(env, options.dataDir, cacheDir, log, started);
    return { natsUrl, mongoUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function ensureNats(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  log: (line: string) => void,
  started: ChildProcess[],
): Promise<string> {
  if (env.NATS_URL) return env.NATS_URL;
  if (await answersNats('127.0.0.1', 4222)) {
    log('nats: using the server on 127.0.0.1:4222');
    return 'nats://127.0.0.1:4222';
  }
  const binary = findOnPath('nats-server') ?? installNatsServer(log);
  log(`nats: starting ${binary} -js`);
  const nats = await startNatsServer({
    binary,
    storeDir: path.join(dataDir, 'nats'),
    logFile: path.join(dataDir, 'nats.log'),
  });
  started.push(nats.process);
  log(`nats: listening on ${nats.url}`);
  return nats.url;
}

async function ensureMongo(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  cacheDir: string,
  log: (line: string) => void,
  started: ChildProcess[],
): Promise<string> {
  if (env.MONGO_URL) return env.MONGO_URL;
  const defaultUrl = 'mongodb://127.0.0.1:27017';
  if (await answersMongo(defaultUrl)) {
    log('mongo: using the server on 127.0.0.1:27017');
    return defaultUrl;
  }
  const port = 27017;
  const url = `mongodb://127.0.0.1:${port}`;
  if (await portTaken('127.0.0.1', port)) {
    throw new Error(
      `127.0.0.1:${port} is taken by something that does not answer as MongoDB; set MONGO_URL`,
    );
  }
  const mongod = findOnPath('mongod');
  if (mongod) {
    const dbPath = path.join(dataDir, 'mongod');
    fs.mkdirSync(dbPath, { recursive: true });
    log(`mongo: starting ${mongod} on 127.0.0.1:${port}`);
    started.push(
      launch(
        mongod,
        ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1'],
        dataDir,
        'mongod',
      ),
    );
  } else {
    const ferretdb = findOnPath('ferretdb') ?? buildFerretDb({ cacheDir, log });
    const stateDir = path.join(dataDir, 'ferretdb');
    fs.mkdirSync(stateDir, { recursive: true });
    log(`mongo: starting FerretDB (SQLite) on 127.0.0.1:${port}, data in ${stateDir}`);
    started.push(
      launch(
        ferretdb,
        [
          '--handler=sqlite',
          `--sqlite-url=file:${stateDir}/`,
          `--state-dir=${stateDir}`,
          '--telemetry=disable',
          `--listen-addr=127.0.0.1:${port}`,
          '--debug-addr=-',
          '--log-level=WARN',
        ],
        dataDir,
        'ferretdb',
      ),
    );
  }
  await waitFor(() => answersMongo(url), 'the MongoDB wire-protocol server', 30_000);
  return url;
}

/**
 * Builds FerretDB from its module source with Go. `go install …@v1.24.2` builds a binary
 * that panics at start: the module lacks the build/version/version.txt its release
 * process writes. So the source is copied from the module cache, that file is written
 * as its own panic message says, and the unchanged source is built.
 */
function buildFerretDb(options: CacheOptions): string {
  return cachedGoBinary(
    FERRETDB,
    (gobin) => {
      const download = run('go', [
        'mod',
        'download',
        '-json',
        `${FERRETDB_MODULE}@${FERRETDB.version}`,
      ]);
      const moduleDir = (JSON.parse(download) as { Dir: string }).Dir;
      const sourceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-ferretdb-'));
      try {
        fs.cpSync(moduleDir, sourceDir, { recursive: true });
        makeWritable(sourceDir);
        fs.writeFileSync(
          path.join(sourceDir, 'build/version/version.txt'),
          `${FERRETDB.version}\n`,
        );
        run('go', ['build', '-o', path.join(gobin, FERRETDB.name), './cmd/ferretdb'], {
          cwd: sourceDir,
        });
      } finally {
        fs.rmSync(sourceDir, { recursive: true, force: true });
      }
    },
    options,
  );
}

function installNatsServer(log: (line: string) => void): string {
  log('nats: nats-server is not on PATH; installing Debian package nats-server');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', 'nats-server'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
    if (!install()) throw new Error('could not install nats-server with apt-get');
  }
  const binary = findOnPath('nats-server');
  if (!binary) throw new Error('nats-server was installed but is not on PATH');
  return binary;
}

function makeWritable(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(dir, 0o755);
}

function launch(binary: string, args: string[], dataDir: string, name: string): ChildProcess {
  const logFile = fs.openSync(path.join(dataDir, `${name}.log`), 'a');
  const child = spawn(binary, args, { stdio: ['ignore', logFile, logFile] });
  fs.closeSync(logFile);
  // A failed spawn is reported by the wait for the server to answer, not as a crash here.
  child.once('error', (error) => process.stderr.write(`${name}: ${error.message}\n`));
  return child;
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
}

/** True when something accepts TCP connections on the port. */
function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

async function answersMongo(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}
