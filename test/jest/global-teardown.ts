import type { LocalServers } from '../../deploy/local/servers';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { keelServers?: LocalServers }).keelServers?.stop();
}
