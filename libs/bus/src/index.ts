// The bus: JetStream events with de-duplication and trace context, durable consumers, KV.
export { Bus, connectBus, type BusOptions } from './bus';
export type { ConsumeOptions, Delivery, Subscription } from './consumer';
export { KvConflictError, PoisonMessageError } from './errors';
export { KvBucket, type KvEntry } from './kv';
export type { BusLogger } from './logger';
