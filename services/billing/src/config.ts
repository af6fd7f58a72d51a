import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_BILLING_PORT: portEnv(50056),
  /** InferenceCompleted messages handled at once by one replica. */
  KEEL_BILLING_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /** How long NATS waits for an ack before it redelivers a message, in milliseconds. */
  KEEL_BILLING_ACK_WAIT_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Deliveries of one InferenceCompleted message before a failure on it moves it to the
   * dead-letter stream. Redeliveries wait 0.2 s doubling to 30 s, so 100 deliveries ride out
   * about 45 minutes of a dependency being down (longer when each attempt waits on a timeout).
   */
  KEEL_BILLING_MAX_DELIVER: z.coerce.number().int().min(1).default(100),
  /**
   * TEST-ONLY FAULT, never set in production: the process sends itself SIGKILL right after its
   * Nth ledger insert, before that message is acked, so crash-recovery tests can check that the
   * redelivery finds the entry and bills nothing twice. Unset: no fault.
   */
  KEEL_BILLING_FAULT_KILL_AFTER_WRITES: z.coerce.number().int().positive().optional(),
};

export type BillingConfig = ReturnType<typeof loadConfig<typeof configShape>>;
