import { newTestRun } from '@keel/testing';
import { startTestServers } from '../servers';

export default async function globalSetup(): Promise<void> {
  process.env.KEEL_TEST_RUN = newTestRun();
  const servers = await startTestServers();
  // Workers are forked after this, so they inherit the URLs.
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  (globalThis as { keelServers?: typeof servers }).keelServers = servers;
}
