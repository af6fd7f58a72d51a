// `npm start`: the local servers and all six services in the foreground; Ctrl-C stops
// everything it started. Logs go to .keel/logs/<service>.log. The services run in process
// groups of their own, so Ctrl-C reaches only this process, which sends each one SIGTERM once.
// Ctrl-C again, 2 s or more later, kills them at once.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  waitUntilServing,
  startLocalServers,
  stopProcess,
  SERVICES,
  portOf,
  portVariable,
  repoRoot,
  spawnService,
} from '@keel/local';

const stateDir = path.join(repoRoot, '.keel');
const logDir = path.join(stateDir, 'logs');
const adminKeyFile = path.join(stateDir, 'admin-key');
// Inference may take its gRPC grace (10 s) and then its event flush (10 s) to stop.
const STOP_GRACE_MS = 30_000;
const FORCE_AFTER_MS = 2_000;

async function main(): Promise<void> {
  fs.mkdirSync(logDir, { recursive: true });
  const servers = await startLocalServers({
    dataDir: path.join(stateDir, 'data'),
    log: (line) => console.log(`keel: ${line}`),
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: servers.natsUrl,
    MONGO_URL: servers.mongoUrl,
    KEEL_BOOTSTRAP_KEY_FILE: adminKeyFile,
  };
  const children = new Map<string, ChildProcess>();
  let stoppingSince: number | null = null;

  const stop = async (code: number) => {
    if (stoppingSince !== null) return;
    stoppingSince = Date.now();
    console.log('keel: stopping');
    await Promise.all([...children.values()].map((child) => stopProcess(child, STOP_GRACE_MS)));
    await servers.stop();
    process.exit(code);
  };
  const onSignal = () => {
    if (stoppingSince === null) return void stop(0);
    // npm forwards the terminal's signal too: only a later one means "force".
    if (Date.now() - stoppingSince < FORCE_AFTER_MS) return;
    console.log('keel: killing the services now');
    for (const child of children.values()) child.kill('SIGKILL');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Out of the terminal's process group, the services would outlive a crash of this process.
  process.on('exit', () => {
    for (const child of children.values()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
  });

  for (const { name } of SERVICES) {
    const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
    const child = spawnService(name, env, ['ignore', log, log], { ownProcessGroup: true });
    fs.closeSync(log);
    child.on('exit', (code, signal) => {
      if (stoppingSince !== null) return;
      console.error(`keel: ${name} exited (${signal ?? code}); see ${logDir}/${name}.log`);
      void stop(1);
    });
    children.set(name, child);
  }

  try {
    await Promise.all(
      SERVICES.map(({ name }) => waitUntilServing(`127.0.0.1:${portOf(name, env)}`, 90_000)),
    );
  } catch (error) {
    console.error(`keel: ${(error as Error).message}; see the logs in ${logDir}`);
    await stop(1);
    return;
  }
  console.log('');
  console.log('keel: all six services are SERVING');
  for (const { name } of SERVICES) {
    const port = portOf(name, env);
    console.log(`  ${name.padEnd(11)} 127.0.0.1:${port}  (${portVariable(name)})`);
  }
  console.log(`  nats        ${servers.natsUrl}`);
  console.log(`  mongo       ${servers.mongoUrl}`);
  console.log(`  logs        ${logDir}`);
  console.log(`  admin key   ${adminKeyFile}`);
  console.log('');
  console.log('Make a first call from another terminal:');
  console.log('  npm run -s keel -- tenant create acme');
  console.log('  KEEL_API_KEY=<the key printed last> npm run -s keel -- complete "Hello, Keel"');
  console.log('');
  console.log('Ctrl-C stops everything.');
}

main().catch((error: unknown) => {
  console.error(`keel: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
