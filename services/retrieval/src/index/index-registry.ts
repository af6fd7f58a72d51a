// The in-memory indexes of every collection this replica has loaded, built from the store: at
// start, on the first search of a collection created since, and again for the documents a
// CollectionChanged names (whichever replica stored them).
import type { Store } from '@keel/store';
import type { IndexedChunk } from '../domain/indexed-chunk';
import { readChunks } from '../store/chunks';
import { listCollections } from '../store/collections';
import { CollectionIndex } from './collection-index';

export class IndexRegistry {
  private readonly indexes = new Map<string, Promise<CollectionIndex>>();

  constructor(private readonly store: Store) {}

  /** Loads every collection of the store. */
  async loadAll(): Promise<void> {
    for (const collection of await listCollections(this.store, undefined)) {
      await this.indexOf(collection.tenantId, collection.name);
    }
  }

  /** The collection's index, loaded from the store on first use. */
  indexOf(tenantId: string, collectionName: string): Promise<CollectionIndex> {
    const key = keyOf(tenantId, collectionName);
    let index = this.indexes.get(key);
    if (!index) {
      index = this.load(tenantId, collectionName);
      this.indexes.set(key, index);
      // A failed load is tried again by the next caller.
      index.catch(() => this.indexes.delete(key));
    }
    return index;
  }

  /** Brings the named documents of a loaded collection to what the store holds. */
  async refreshDocuments(
    tenantId: string,
    collectionName: string,
    documentIds: string[],
  ): Promise<void> {
    // A collection not loaded yet reads the store in full when it is first searched.
    if (!this.indexes.has(keyOf(tenantId, collectionName)) || documentIds.length === 0) return;
    const chunks = await readChunks(this.store, tenantId, collectionName, documentIds);
    await this.replaceDocuments(tenantId, collectionName, chunks);
  }

  /** Sets documents' chunks in a loaded collection (none: the document is removed). */
  async replaceDocuments(
    tenantId: string,
    collectionName: string,
    chunks: Map<string, IndexedChunk[]>,
  ): Promise<void> {
    const loaded = this.indexes.get(keyOf(tenantId, collectionName));
    if (!loaded) return;
    (await loaded).replaceDocuments(chunks);
  }

  drop(tenantId: string, collectionName: string): void {
    this.indexes.delete(keyOf(tenantId, collectionName));
  }

  private async load(tenantId: string, collectionName: string): Promise<CollectionIndex> {
    const chunks = await readChunks(this.store, tenantId, collectionName);
    const index = new CollectionIndex();
    index.replaceDocuments(chunks);
    return index;
  }
}

function keyOf(tenantId: string, collectionName: string): string {
  return `${tenantId}\u0000${collectionName}`;
}
