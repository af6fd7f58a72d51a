// The feedback service serves health and reflection; its RPCs are not part of this release.
import { KeelServer } from '@keel/kit';
import type { Logger } from '@keel/telemetry';
import type { FeedbackConfig } from './config';

export interface FeedbackApp {
  port: number;
  stop(): Promise<void>;
}

export async function startFeedback(config: FeedbackConfig, logger: Logger): Promise<FeedbackApp> {
  const server = new KeelServer({
    serviceName: 'feedback',
    logger,
    host: config.KEEL_BIND_HOST,
    port: config.KEEL_FEEDBACK_PORT,
  });
  const port = await server.start();
  server.setServing(true);
  return { port, stop: () => server.shutdown() };
}
