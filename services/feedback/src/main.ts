import './instrument';
import { loadConfig } from '@keel/config';
import { onShutdown } from '@keel/kit';
import { createLogger, shutdownTelemetry } from '@keel/telemetry';
import { startFeedback } from './app';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configShape);
  const logger = createLogger('feedback', config.LOG_LEVEL);
  const app = await startFeedback(config, logger);
  logger.info({ port: app.port }, 'feedback serving');
  onShutdown(logger, [
    { name: 'feedback', run: () => app.stop() },
    { name: 'telemetry', run: shutdownTelemetry },
  ]);
}

main().catch((error: unknown) => {
  console.error(`feedback: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
