import { ConfigError, baseEnv, loadConfig, portEnv, z } from './index';

const shape = {
  ...baseEnv,
  KEEL_INFERENCE_PORT: portEnv(50051),
  OPENAI_API_KEY: z.string(),
};

describe('loadConfig', () => {
  it('applies the defaults of the base shape and the port', () => {
    const config = loadConfig(shape, { OPENAI_API_KEY: 'sk-test' });
    expect(config).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      MONGO_URL: 'mongodb://127.0.0.1:27017',
      KEEL_BUS_PREFIX: 'keel',
      KEEL_DB_PREFIX: 'keel',
      KEEL_BIND_HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      KEEL_INFERENCE_PORT: 50051,
      OPENAI_API_KEY: 'sk-test',
    });
  });

  it('reads set variables and coerces the port to a number', () => {
    const config = loadConfig(shape, {
      NATS_URL: 'nats://nats:4222',
      KEEL_BUS_PREFIX: 't_1a',
      LOG_LEVEL: 'debug',
      KEEL_INFERENCE_PORT: '6000',
      OPENAI_API_KEY: 'sk-test',
    });
    expect(config.NATS_URL).toBe('nats://nats:4222');
    expect(config.KEEL_BUS_PREFIX).toBe('t_1a');
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.KEEL_INFERENCE_PORT).toBe(6000);
    // The result is typed from the shape.
    const port: number = config.KEEL_INFERENCE_PORT;
    const level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' =
      config.LOG_LEVEL;
    expect([port, level]).toEqual([6000, 'debug']);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(shape, { KEEL_INFERENCE_PORT: '', OPENAI_API_KEY: 'k' });
    expect(config.KEEL_INFERENCE_PORT).toBe(50051);
  });

  it('names every bad variable in one error', () => {
    const load = () =>
      loadConfig(shape, {
        KEEL_INFERENCE_PORT: '70000',
        KEEL_DB_PREFIX: 'Keel-Prod',
        LOG_LEVEL: 'loud',
      });
    expect(load).toThrow(ConfigError);
    const message = thrownMessage(load);
    expect(message).toMatch(/^invalid environment: /);
    expect(message).toContain('OPENAI_API_KEY: required but unset');
    expect(message).toContain('KEEL_DB_PREFIX: must be lowercase letters');
    expect(message).toMatch(/KEEL_INFERENCE_PORT: .*65535/);
    expect(message).toMatch(/LOG_LEVEL: .*"info"/);
    expect(message).not.toContain('NATS_URL');
  });

  it('rejects a port that is not an integer', () => {
    expect(() => loadConfig({ PORT: portEnv(1) }, { PORT: 'http' })).toThrow(/PORT: /);
    expect(() => loadConfig({ PORT: portEnv(1) }, { PORT: '80.5' })).toThrow(/PORT: /);
  });

  it('returns a frozen object', () => {
    const config = loadConfig(baseEnv, {});
    expect(Object.isFrozen(config)).toBe(true);
  });
});

function thrownMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}
