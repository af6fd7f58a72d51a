// The bus: JetStream events with de-duplication and trace context, durable consumers, KV.
export { Bus, connectBus, type BusOptions } from './bus';
export type { BatchFailures, BatchHandler, BatchItem } from './batcher';
export type { BatchConsumeOptions, ConsumeOptions, Delivery, Subscription } from './consumer';
export {
  DeadLetters,
  deadLetterReasonKinds,
  type DeadLetter,
  type DeadLetterReasonKind,
  type Replayed,
} from './dead-letters';
export { KvConflictError, PoisonMessageError } from './errors';
export { KvBucket, type KvEntry } from './kv';
export type { BusLogger } from './logger';
