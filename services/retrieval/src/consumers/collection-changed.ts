// Every replica follows `keel.retrieval.changed` with an ordered consumer of its own (nothing
// durable to clean up after a replica goes away), from the stream position read before its
// indexes were loaded, so no change stored during the load is missed; applying a change again
// only re-reads the same chunks. A change that cannot be applied (the store unreachable) drops
// the collection's index: the next search loads it from the store in full.
import type { Bus } from '@keel/bus';
import { events, streamOf, subjectOf } from '@keel/contracts';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from '@keel/telemetry';
import type { IndexRegistry } from '../index/index-registry';

export interface ChangeFollower {
  /** Starts following after the changes already in the stream when `mark` was called. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Marks the stream's position now; `start` follows from there. */
export async function markCollectionChanges(
  bus: Bus,
  indexes: IndexRegistry,
  logger: Logger,
): Promise<ChangeFollower> {
  const stream = streamOf('retrieval', bus.prefix).name;
  const jsm = await jetstreamManager(bus.connection);
  const lastSeq = (await jsm.streams.info(stream)).state.last_seq;
  let stop = async () => {};
  return {
    async start() {
      const consumer = await jetstream(bus.connection).consumers.get(stream, {
        filter_subjects: subjectOf(events.collectionChanged, bus.prefix),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: lastSeq + 1,
      });
      const messages = await consumer.consume();
      const done = (async () => {
        for await (const message of messages) {
          const change = events.collectionChanged.codec.decode(message.data);
          const { tenantId, collectionName } = change;
          try {
            if (change.collectionDeleted) indexes.drop(tenantId, collectionName);
            else await indexes.refreshDocuments(tenantId, collectionName, change.documentIds);
          } catch (error) {
            logger.warn(
              { err: error, tenant_id: tenantId, collection: collectionName },
              'a collection change could not be applied: its index reloads on next use',
            );
            indexes.drop(tenantId, collectionName);
          }
        }
      })();
      stop = async () => {
        await messages.close();
        await done;
      };
    },
    stop: () => stop(),
  };
}
