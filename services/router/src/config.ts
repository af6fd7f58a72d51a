import { baseEnv, loadConfig, portEnv, z } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_ROUTER_PORT: portEnv(50052),
  /** Where the operator's admin key is kept; when set, the router creates one if it is missing. */
  KEEL_BOOTSTRAP_KEY_FILE: z.string().optional(),
};

export type RouterConfig = ReturnType<typeof loadConfig<typeof configShape>>;
