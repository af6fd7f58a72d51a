import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_EVALUATION_PORT: portEnv(50054),
  /** InferenceCompleted messages handled at once by one replica. */
  KEEL_EVALUATION_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /** How long NATS waits for an ack before it redelivers a message, in milliseconds. */
  KEEL_EVALUATION_ACK_WAIT_MS: z.coerce.number().int().min(100).default(30_000),
};

export type EvaluationConfig = ReturnType<typeof loadConfig<typeof configShape>>;
