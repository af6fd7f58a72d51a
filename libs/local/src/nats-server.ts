// A nats-server process with JetStream on a free loopback port: what the test suite and
// `npm start` launch when none is running, and what a test starts for itself when it must make
// the bus unavailable (pause() freezes it with SIGSTOP, as a hung or partitioned server).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface NatsServer {
  url: string;
  process: ChildProcess;
  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /** SIGTERM (SIGKILL after 5 s); removes the store when this call created it. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** The nats-server binary; default the one on PATH. */
  binary?: string;
  /** JetStream's store; default a new temporary folder, removed by stop(). */
  storeDir?: string;
  /** Where the server's output goes; default nowhere. */
  logFile?: string;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? findOnPath('nats-server');
  if (!binary) throw new Error('nats-server is not on PATH');
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'keel-nats-'));
  fs.mkdirSync(storeDir, { recursive: true });
  const port = await freePort();
  const output = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', output, output],
  });
  if (typeof output === 'number') fs.closeSync(output);
  // A failed spawn shows as the server never answering, below.
  child.once('error', (error) => process.stderr.write(`nats-server: ${error.message}\n`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (ownStore) fs.rmSync(storeDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await answersNats('127.0.0.1', port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`nats-server did not answer on 127.0.0.1:${port} within 20 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    process: child,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop,
  };
}

/** True when a NATS server greets a TCP connection with its INFO line. */
export function answersNats(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('INFO')));
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}
