import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_FEEDBACK_PORT: portEnv(50055),
  /** InferenceCompleted messages handled at once by one replica. */
  KEEL_FEEDBACK_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /** How long NATS waits for an ack before it redelivers a message, in milliseconds. */
  KEEL_FEEDBACK_ACK_WAIT_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Deliveries of one InferenceCompleted message before a failure on it moves it to the
   * dead-letter stream. Redeliveries wait 0.2 s doubling to 30 s, so 100 deliveries ride out
   * about 45 minutes of the store being down.
   */
  KEEL_FEEDBACK_MAX_DELIVER: z.coerce.number().int().min(1).default(100),
};

export type FeedbackConfig = ReturnType<typeof loadConfig<typeof configShape>>;
