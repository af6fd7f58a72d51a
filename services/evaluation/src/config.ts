import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_EVALUATION_PORT: portEnv(50054),
  /** InferenceCompleted messages handled at once by one replica. */
  KEEL_EVALUATION_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /** How long NATS waits for an ack before it redelivers a message, in milliseconds. */
  KEEL_EVALUATION_ACK_WAIT_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Deliveries of one InferenceCompleted message before a failure on it moves it to the
   * dead-letter stream. Redeliveries wait 0.2 s doubling to 30 s, so 100 deliveries ride out
   * about 45 minutes of a dependency being down (longer when each attempt waits on a timeout).
   */
  KEEL_EVALUATION_MAX_DELIVER: z.coerce.number().int().min(1).default(100),
  /** Where the LLM judge calls Keel's inference API. */
  KEEL_INFERENCE_ADDRESS: z.string().default('127.0.0.1:50051'),
  /**
   * A JSON file of tenant id → the API key (inference scope) the tenant's LLM judge calls with;
   * unset: no tenant has a judge key, and llm_judge evaluations count as errors.
   */
  KEEL_JUDGE_KEYS_FILE: z.string().optional(),
  /** How long one experiment inference may take, in ms, before it counts as an error. */
  KEEL_EXPERIMENT_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  /** How long one judge call may take, in ms, before it is retried with the message. */
  KEEL_JUDGE_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  /**
   * Drift: the latest scores of one evaluator for a function's variant; a key is tested each
   * time this many more of its scores arrive.
   */
  KEEL_DRIFT_WINDOW_SIZE: z.coerce.number().int().min(2).default(100),
  /** Drift: the scores just before the window that it is compared with. */
  KEEL_DRIFT_BASELINE_SIZE: z.coerce.number().int().min(2).default(400),
  /** Drift: the one-sided p-value of Welch's t-test under which a drop is significant. */
  KEEL_DRIFT_ALPHA: z.coerce.number().gt(0).lt(1).default(0.01),
  /** Drift: how far the window's mean score must fall below the baseline's to be reported. */
  KEEL_DRIFT_MIN_DROP: z.coerce.number().min(0).max(1).default(0.05),
};

export type EvaluationConfig = ReturnType<typeof loadConfig<typeof configShape>>;
