import { inspect } from 'node:util';
import {
  MongoServerError,
  type Collection,
  type Document,
  type Filter,
  type OptionalUnlessRequiredId,
  type WithId,
  type WithoutId,
} from 'mongodb';

const DUPLICATE_KEY = 11000;

export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/**
 * Inserts a document whose unique key makes the write idempotent: a redelivered event or a
 * retried request finds its document already there and changes nothing.
 */
export async function insertOnce<T extends Document>(
  collection: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
): Promise<'inserted' | 'duplicate'> {
  try {
    await collection.insertOne(doc);
    return 'inserted';
  } catch (error) {
    if (isDuplicateKeyError(error)) return 'duplicate';
    throw error;
  }
}

/**
 * Inserts `doc` unless a document with its unique key is already there, and returns the one
 * stored: a redelivery gets the first delivery's document, ids and times included. `key`
 * selects that document by its unique key. `doc` itself is left unchanged.
 */
export async function insertOnceOrGet<T extends Document>(
  collection: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
  key: Filter<T>,
): Promise<{ inserted: boolean; stored: WithId<T> }> {
  const copy = { ...doc };
  if ((await insertOnce(collection, copy)) === 'inserted') {
    // insertOne gave the copy its _id.
    return { inserted: true, stored: copy as WithId<T> };
  }
  const stored = await collection.findOne(key);
  // A duplicate that cannot be read back was deleted in between: retrying sorts it out.
  if (!stored) throw new Error(`the document ${inspect(key)} vanished`);
  return { inserted: false, stored };
}

/**
 * Creates or replaces the document `filter` selects by its unique key. Two first writes that
 * race to insert it both upsert; the loser of the insert replaces the winner's document.
 */
export async function replaceOrInsert<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
  doc: WithoutId<T>,
): Promise<void> {
  try {
    await collection.replaceOne(filter, doc, { upsert: true });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    await collection.replaceOne(filter, doc);
  }
}
