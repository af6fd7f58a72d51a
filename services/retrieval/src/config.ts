import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_RETRIEVAL_PORT: portEnv(50053),
  /** How long one call to a remote embedding model may take, in ms. */
  KEEL_EMBEDDING_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
};

export type RetrievalConfig = ReturnType<typeof loadConfig<typeof configShape>>;
