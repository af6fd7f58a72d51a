import { baseEnv, loadConfig, portEnv } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_RETRIEVAL_PORT: portEnv(50053),
};

export type RetrievalConfig = ReturnType<typeof loadConfig<typeof configShape>>;
