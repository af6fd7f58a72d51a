// `npm start`: the local servers and all six services in the foreground; Ctrl-C stops
// everything it started. Logs go to .keel/logs/<service>.log.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitUntilServing } from './health';
import { startLocalServers, stopProcess } from './servers';
import { SERVICES, portOf, portVariable, repoRoot, spawnService } from './services';

const stateDir = path.join(repoRoot, '.keel');
const logDir = path.join(stateDir, 'logs');
const adminKeyFile = path.join(stateDir, 'admin-key');

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
  let stopping = false;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('keel: stopping');
    await Promise.all([...children.values()].map((child) => stopProcess(child, 10_000)));
    await servers.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  for (const { name } of SERVICES) {
    const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
    const child = spawnService(name, env, ['ignore', log, log]);
    fs.closeSync(log);
    child.on('exit', (code, signal) => {
      if (stopping) return;
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
