import { baseEnv, loadConfig, portEnv, z } from '@keel/config';
import { DEFAULT_SNAPSHOT_RELOAD_MS } from '@keel/snapshots';

export const configShape = {
  ...baseEnv,
  KEEL_ROUTER_PORT: portEnv(50052),
  /** Where the operator's admin key is kept; when set, the router creates one if it is missing. */
  KEEL_BOOTSTRAP_KEY_FILE: z.string().optional(),
  /** How often the snapshots are read directly besides being watched, so none stays missed. */
  KEEL_SNAPSHOT_RELOAD_MS: z.coerce.number().int().positive().default(DEFAULT_SNAPSHOT_RELOAD_MS),
};

export type RouterConfig = ReturnType<typeof loadConfig<typeof configShape>>;
