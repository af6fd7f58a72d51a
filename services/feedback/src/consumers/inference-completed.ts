// Learns who owns each inference (and so each episode) from InferenceCompleted: acked once
// the owner is stored; an event without its ids can never be stored and goes to the dead letters.
import { type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { durableNameOf, events } from '@keel/contracts';
import { type OwnerCollections, recordOwner } from '../store/inference-owners';

export interface InferenceCompletedConsumer {
  bus: Bus;
  owners: OwnerCollections;
  concurrency: number;
  ackWaitMs: number;
  /** Deliveries before a failing message goes to the dead-letter stream. */
  maxDeliver: number;
}

export function consumeInferenceCompleted(deps: InferenceCompletedConsumer): Promise<Subscription> {
  return deps.bus.consume(events.inferenceCompleted, {
    durable: durableNameOf('feedback', events.inferenceCompleted),
    concurrency: deps.concurrency,
    ackWaitMs: deps.ackWaitMs,
    maxDeliver: deps.maxDeliver,
    handler: async (event) => {
      if (!event.tenantId) throw new PoisonMessageError('tenant_id is missing');
      if (!event.inferenceId) throw new PoisonMessageError('inference_id is missing');
      const now = new Date();
      await recordOwner(
        deps.owners,
        {
          tenantId: event.tenantId,
          inferenceId: event.inferenceId,
          episodeId: event.episodeId,
          functionName: event.functionName,
          variantName: event.variantName,
          occurredAt: event.occurredAt ?? now,
        },
        now,
      );
    },
  });
}
