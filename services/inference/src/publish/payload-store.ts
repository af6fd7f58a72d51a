// Keeps each InferenceCompleted within NATS's message size: text past the inline bound is
// stored in the payloads bucket, before the event is published, and the event references it.
import type { Bus } from '@keel/bus';
import type { inference } from '@keel/contracts';
import { InferencePayloads } from '@keel/payloads';

/** The event as it can be published: unchanged, or slimmed to a reference once its text is stored. */
export type StorePayload = (
  event: inference.InferenceCompleted,
) => Promise<inference.InferenceCompleted>;

/** Opens (or creates) the payloads bucket now, so a bus that cannot hold it fails the start. */
export async function openPayloadStore(bus: Bus): Promise<StorePayload> {
  const payloads = await InferencePayloads.open(bus);
  return (event) => payloads.offload(event);
}
