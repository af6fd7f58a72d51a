// Everything a test cluster stored, as text to search: for tests that prove a value (a secret,
// personal data) was never stored or published.
import type { Bus } from '@keel/bus';
import type { ServiceName } from '@keel/local';
import { jetstreamManager } from '@nats-io/jetstream';
import { BSON } from 'mongodb';
import type { Cluster } from './cluster';

export interface StoredText {
  /** Where it is stored: `billing db ledger`, `stream <name> #<seq> <subject>`. */
  where: string;
  text: string;
}

/** Every document of the services' databases, one text per collection, as extended JSON. */
export async function mongoTexts(cluster: Cluster, services: ServiceName[]): Promise<StoredText[]> {
  const texts: StoredText[] = [];
  for (const service of services) {
    const db = cluster.db(service);
    for (const { name } of await db.listCollections().toArray()) {
      const documents = await db.collection(name).find().toArray();
      texts.push({ where: `${service} db ${name}`, text: BSON.EJSON.stringify(documents) });
    }
  }
  return texts;
}

/**
 * Every message of every stream of the cluster's bus prefix (events, KV buckets, object store
 * chunks), its bytes read as latin1, with its headers.
 */
export async function busTexts(bus: Bus, prefix: string): Promise<StoredText[]> {
  const jsm = await jetstreamManager(bus.connection);
  const texts: StoredText[] = [];
  for await (const info of jsm.streams.list()) {
    const name = info.config.name;
    if (!name.toLowerCase().includes(prefix.toLowerCase())) continue;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(name, { seq }).catch(() => null);
      if (!message) continue;
      texts.push({
        where: `stream ${name} #${seq} ${message.subject}`,
        text: Buffer.from(message.data).toString('latin1') + JSON.stringify(message.header),
      });
    }
  }
  return texts;
}
