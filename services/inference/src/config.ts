import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegative = (fallback: number) => z.coerce.number().min(0).default(fallback);

export const configShape = {
  ...baseEnv,
  KEEL_INFERENCE_PORT: portEnv(50051),
  /** The most messages one request may carry. */
  KEEL_MAX_MESSAGES: positiveInt(256),
  /** The most characters of content all of a request's messages may carry together. */
  KEEL_MAX_INPUT_CHARS: positiveInt(400_000),
  /** The longest one model of the chain may take to answer, retries included. */
  KEEL_PROVIDER_TIMEOUT_MS: positiveInt(30_000),
  /**
   * InferenceCompleted events not yet acknowledged by JetStream (the publish backlog) at which
   * new requests are refused with UNAVAILABLE, before any model is called.
   */
  KEEL_PUBLISH_BACKLOG_MAX: positiveInt(1_000),
  /** The sim model's wait before it answers. */
  KEEL_SIM_LATENCY_MS: nonNegative(0),
  /** The sim model's generation speed; 0 answers at once. */
  KEEL_SIM_TOKENS_PER_SECOND: nonNegative(0),
};

export type InferenceConfig = ReturnType<typeof loadConfig<typeof configShape>>;
