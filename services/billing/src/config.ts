import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_BILLING_PORT: portEnv(50056),
  /**
   * InferenceCompleted messages billed in one batch at most (one ledger insert and one update
   * per rollup the batch touches); a batch takes what arrived while the previous one ran. Two
   * batches run at once (one writes while the other announces), and one more is pulled ahead.
   */
  KEEL_BILLING_MAX_BATCH: z.coerce.number().int().min(1).default(500),
  /** How long NATS waits for an ack before it redelivers a message, in milliseconds. */
  KEEL_BILLING_ACK_WAIT_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Deliveries of one InferenceCompleted message before a failure on it moves it to the
   * dead-letter stream. Redeliveries wait 0.2 s doubling to 30 s, so 100 deliveries ride out
   * about 45 minutes of a dependency being down (longer when each attempt waits on a timeout).
   */
  KEEL_BILLING_MAX_DELIVER: z.coerce.number().int().min(1).default(100),
  /**
   * TEST-ONLY FAULT, never set in production: the process sends itself SIGKILL right after the
   * ledger insert of the batch that brings its entries written to N or more, before that batch's
   * rollups and acks, so crash-recovery tests can check that the redelivery finds the entries,
   * bills nothing twice and the rollups are repaired. Unset: no fault.
   */
  KEEL_BILLING_FAULT_KILL_AFTER_WRITES: z.coerce.number().int().positive().optional(),
};

export type BillingConfig = ReturnType<typeof loadConfig<typeof configShape>>;
