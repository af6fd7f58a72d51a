import { isTestName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MongoClient } from 'mongodb';
import type { LocalServers } from '@keel/local';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { keelServers?: LocalServers }).keelServers;
  if (!servers) return;
  // Servers found running (a developer's `npm start`) outlive the suite: leave them clean.
  await Promise.all([dropTestStreams(servers.natsUrl), dropTestDatabases(servers.mongoUrl)]);
  await servers.stop();
}

async function dropTestStreams(natsUrl: string): Promise<void> {
  const connection = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(connection);
    for await (const name of jsm.streams.names()) {
      if (isTestName(name)) await jsm.streams.delete(name);
    }
  } finally {
    await connection.close();
  }
}

async function dropTestDatabases(mongoUrl: string): Promise<void> {
  const client = await MongoClient.connect(mongoUrl);
  try {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) {
      if (isTestName(name)) await client.db(name).dropDatabase();
    }
  } finally {
    await client.close();
  }
}
