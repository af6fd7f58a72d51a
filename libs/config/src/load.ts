import { z } from 'zod';

/** The environment does not describe a service that can start; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment against `shape` once, at start, and fails fast.
 *
 * An empty variable counts as unset, so `FOO=` in a compose file falls back to the default
 * instead of failing (or coercing to 0). Variables outside the shape are ignored.
 */
export function loadConfig<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const present: Record<string, string> = {};
  for (const name of Object.keys(shape)) {
    const value = env[name];
    if (value !== undefined && value !== '') present[name] = value;
  }
  const result = z.object(shape).safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.map(String).join('.');
      const unset = issue.code === 'invalid_type' && present[name] === undefined;
      // zod's messages never echo the value, so a bad secret does not end up in a log.
      return `${name}: ${unset ? 'required but unset' : issue.message}`;
    });
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data) as z.infer<z.ZodObject<T>>;
}
