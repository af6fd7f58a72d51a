import { MongoClient, type Collection, type Db, type Document } from 'mongodb';

/** The indexes of each collection, by collection name. */
export type CollectionIndexes = Record<
  string,
  Array<{
    key: Record<string, 1 | -1>;
    unique?: boolean;
    /** A unique index that spans tenants (e.g. API key ids); otherwise it must begin with tenant_id. */
    global?: boolean;
    name?: string;
  }>
>;

/** One service's database. */
export class Store {
  constructor(
    readonly client: MongoClient,
    readonly db: Db,
  ) {}

  collection<T extends Document>(name: string): Collection<T> {
    return this.db.collection<T>(name);
  }

  /**
   * Creates the indexes; creating an index that already exists changes nothing. A unique index
   * must begin with tenant_id, so every unique key stays valid once collections are sharded by
   * tenant; `global: true` states that an index deliberately spans tenants.
   */
  async ensureIndexes(indexes: CollectionIndexes): Promise<void> {
    for (const [collection, specs] of Object.entries(indexes)) {
      for (const spec of specs) {
        const firstKey = Object.keys(spec.key)[0];
        if (spec.unique && !spec.global && firstKey !== 'tenant_id') {
          throw new Error(
            `unique index ${JSON.stringify(spec.key)} on ${collection} must begin with tenant_id, ` +
              'or set global: true if it deliberately spans tenants',
          );
        }
      }
    }
    for (const [collection, specs] of Object.entries(indexes)) {
      // One index per command: FerretDB 1.24 drops the connection when a single createIndexes
      // names several indexes that already exist.
      for (const spec of specs) {
        await this.db.collection(collection).createIndex(spec.key, {
          ...(spec.unique ? { unique: true } : {}),
          ...(spec.name ? { name: spec.name } : {}),
        });
      }
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * Connects to the service's own database, `${dbPrefix}_${service}`. int64 values are read as
 * bigint and bigint values written as int64, so money and versions stay exact.
 */
export async function connectStore(options: {
  url: string;
  dbPrefix: string;
  service: string;
}): Promise<Store> {
  const client = new MongoClient(options.url, { useBigInt64: true });
  await client.connect();
  return new Store(client, client.db(`${options.dbPrefix}_${options.service}`));
}
