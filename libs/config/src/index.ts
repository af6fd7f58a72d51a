// Configuration: a zod shape over the environment, parsed once at start.
export { z } from 'zod';
export { ConfigError, loadConfig } from './load';
export { baseEnv, portEnv } from './env';
