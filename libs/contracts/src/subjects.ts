// The whole bus contract: every event's subject and payload, the streams that hold them,
// and the KV buckets services share. Names take a prefix (default `keel`) so tests and
// side-by-side deployments never see each other's messages.
import { InferenceCompleted } from './gen/keel/inference/v1/events';
import { FeedbackRecorded } from './gen/keel/feedback/v1/events';
import { BudgetThresholdReached, InferenceBilled } from './gen/keel/billing/v1/events';
import {
  DriftDetected,
  EvaluationScored,
  ExperimentCompleted,
} from './gen/keel/evaluation/v1/events';
import { CollectionChanged } from './gen/keel/retrieval/v1/events';

/** Encodes and decodes one protobuf message type (ts-proto's MessageFns fit). */
export interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

export interface EventContract<T> {
  domain: string;
  event: string;
  codec: Codec<T>;
}

function event<T>(domain: string, name: string, codec: Codec<T>): EventContract<T> {
  return { domain, event: name, codec };
}

export const events = {
  inferenceCompleted: event('inference', 'completed', InferenceCompleted),
  evaluationScored: event('evaluation', 'scored', EvaluationScored),
  feedbackRecorded: event('feedback', 'recorded', FeedbackRecorded),
  inferenceBilled: event('billing', 'recorded', InferenceBilled),
  budgetThresholdReached: event('billing', 'budget', BudgetThresholdReached),
  driftDetected: event('evaluation', 'drift', DriftDetected),
  experimentCompleted: event('evaluation', 'experiment', ExperimentCompleted),
  collectionChanged: event('retrieval', 'changed', CollectionChanged),
};

export const domains = ['inference', 'evaluation', 'feedback', 'billing', 'retrieval'] as const;
export type Domain = (typeof domains)[number];

export interface StreamSettings {
  name: string;
  subjects: string[];
  /** How long messages are kept, in milliseconds. */
  maxAgeMs: number;
  /** How long JetStream remembers a Nats-Msg-Id to drop a duplicate, in milliseconds. */
  duplicateWindowMs: number;
}

export const DEFAULT_BUS_PREFIX = 'keel';

export function subjectOf(contract: EventContract<unknown>, prefix = DEFAULT_BUS_PREFIX): string {
  return `${prefix}.${contract.domain}.${contract.event}`;
}

/** One stream per producing domain, holding all of its events. */
export function streamOf(domain: Domain, prefix = DEFAULT_BUS_PREFIX): StreamSettings {
  return {
    name: `${prefix}_${domain}`.toUpperCase().replace(/[^A-Z0-9_-]/g, '_'),
    subjects: [`${prefix}.${domain}.>`],
    maxAgeMs: 7 * 24 * 3600 * 1000,
    duplicateWindowMs: 10 * 60 * 1000,
  };
}

/**
 * The dead letters: what a durable consumer can never handle, kept with its reason until an
 * operator replays or drops it. One subject per durable, `<prefix>.deadletter.<durable>`.
 */
export function deadLetterStreamOf(prefix = DEFAULT_BUS_PREFIX): StreamSettings {
  return {
    name: `${prefix}_deadletter`.toUpperCase().replace(/[^A-Z0-9_-]/g, '_'),
    subjects: [`${prefix}.deadletter.>`],
    // Long enough to notice, fix the cause and replay, well past a holiday weekend.
    maxAgeMs: 90 * 24 * 3600 * 1000,
    duplicateWindowMs: 10 * 60 * 1000,
  };
}

export function deadLetterSubjectOf(durable: string, prefix = DEFAULT_BUS_PREFIX): string {
  return `${prefix}.deadletter.${durable}`;
}

/** Durable consumer names are `<service>-<domain>-<event>`. */
export function durableNameOf(service: string, contract: EventContract<unknown>): string {
  return `${service}-${contract.domain}-${contract.event}`;
}

/**
 * The buckets: policy and keys snapshots (router → all) and catalog versions in KV; the text
 * of inferences too large for their events in an object store (inference → consumers).
 */
export function bucketsOf(prefix = DEFAULT_BUS_PREFIX) {
  return {
    policy: `${prefix}_policy`,
    keys: `${prefix}_keys`,
    catalog: `${prefix}_catalog`,
    payloads: `${prefix}_payloads`,
    /** Idempotency claims and results, by tenant and key, kept for the idempotency window. */
    idempotency: `${prefix}_idempotency`,
    /** The exact answer cache's entries, by tenant, function and request hash. */
    cache: `${prefix}_cache`,
    /** The semantic cache's entries (question embedding and answer), by tenant, function and inference. */
    semanticCache: `${prefix}_semcache`,
    /** Rate-limit counters: the budget leased so far, by limit and one-minute window. */
    rateLimits: `${prefix}_ratelimits`,
    /** Budgets: spend and the replicas' leased holds, by budget and UTC day or month. */
    budgets: `${prefix}_budgets`,
  };
}

/**
 * The most UTF-8 bytes of text (the input messages' content plus the output) an
 * InferenceCompleted carries inline. Larger text goes to the payloads bucket and the event
 * references it, so events stay far below NATS's 1 MB default message size.
 */
export const INFERENCE_TEXT_INLINE_MAX_BYTES = 64 * 1024;

/**
 * How long the payloads bucket keeps an object: a day longer than the inference stream keeps
 * events, so the oldest event a consumer can still read finds its payload.
 */
export function payloadsMaxAgeMs(prefix = DEFAULT_BUS_PREFIX): number {
  return streamOf('inference', prefix).maxAgeMs + 24 * 3600 * 1000;
}
