import { z } from 'zod';

// Bus subjects and database names are built from these prefixes, so they keep to characters
// that are valid in both.
const prefix = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase letters, digits and _, starting with a letter')
    .default(fallback);

/** Variables every service reads; spread into a service's own shape. */
export const baseEnv = {
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  MONGO_URL: z.string().default('mongodb://127.0.0.1:27017'),
  KEEL_BUS_PREFIX: prefix('keel'),
  KEEL_DB_PREFIX: prefix('keel'),
  KEEL_BIND_HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** A TCP port (0 lets the system pick one), read from a string. */
export function portEnv(defaultPort: number) {
  return z.coerce.number().int().min(0).max(65535).default(defaultPort);
}
