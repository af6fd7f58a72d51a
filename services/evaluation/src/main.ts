import './instrument';
import { loadConfig } from '@keel/config';
import { onShutdown } from '@keel/kit';
import { createLogger, shutdownTelemetry } from '@keel/telemetry';
import { startEvaluation } from './app';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configShape);
  const logger = createLogger('evaluation', config.LOG_LEVEL);
  const app = await startEvaluation(config, logger);
  logger.info({ port: app.port }, 'evaluation serving');
  onShutdown(logger, [
    { name: 'evaluation', run: () => app.stop() },
    { name: 'telemetry', run: shutdownTelemetry },
  ]);
}

main().catch((error: unknown) => {
  console.error(`evaluation: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
