import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_BILLING_PORT: portEnv(50056),
  /** InferenceCompleted messages handled at once by one replica. */
  KEEL_BILLING_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /** How long NATS waits for an ack before it redelivers a message, in milliseconds. */
  KEEL_BILLING_ACK_WAIT_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * TEST-ONLY FAULT, never set in production: the process sends itself SIGKILL right after its
   * Nth ledger insert, before that message is acked, so crash-recovery tests can check that the
   * redelivery finds the entry and bills nothing twice. Unset: no fault.
   */
  KEEL_BILLING_FAULT_KILL_AFTER_WRITES: z.coerce.number().int().positive().optional(),
};

export type BillingConfig = ReturnType<typeof loadConfig<typeof configShape>>;
