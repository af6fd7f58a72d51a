// Tells every replica which documents of a collection changed in the store, after the write.
import { randomUUID } from 'node:crypto';
import type { Bus } from '@keel/bus';
import { events, retrieval } from '@keel/contracts';

export interface CollectionChange {
  tenantId: string;
  collectionName: string;
  documentIds: string[];
  deleted: boolean;
}

export async function publishCollectionChanged(bus: Bus, change: CollectionChange): Promise<void> {
  const message = retrieval.CollectionChanged.fromPartial({
    tenantId: change.tenantId,
    collectionName: change.collectionName,
    documentIds: change.documentIds,
    collectionDeleted: change.deleted,
    occurredAt: new Date(),
  });
  // Applying a change twice re-reads the same chunks, so each publish may be its own message.
  await bus.publish(events.collectionChanged, message, { msgId: randomUUID() });
}
