// The one place tests get their servers: containers where testcontainers finds a
// container runtime, otherwise the local servers `npm start` uses too.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { GenericContainer, getContainerRuntimeClient } from 'testcontainers';
import { startLocalServers, type LocalServers } from '@keel/local';

export async function startTestServers(): Promise<LocalServers> {
  if (await hasContainerRuntime()) {
    const nats = await new GenericContainer('nats:2.10')
      .withCommand(['-js'])
      .withExposedPorts(4222)
      .start();
    const mongo = await new GenericContainer('mongo:7').withExposedPorts(27017).start();
    return {
      natsUrl: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
      mongoUrl: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}`,
      stop: async () => {
        await Promise.all([nats.stop(), mongo.stop()]);
      },
    };
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-test-servers-'));
  const local = await startLocalServers({ dataDir });
  return {
    ...local,
    stop: async () => {
      await local.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function hasContainerRuntime(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
