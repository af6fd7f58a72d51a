import { baseEnv, loadConfig, portEnv } from '@keel/config';

export const configShape = {
  ...baseEnv,
  KEEL_FEEDBACK_PORT: portEnv(50055),
};

export type FeedbackConfig = ReturnType<typeof loadConfig<typeof configShape>>;
