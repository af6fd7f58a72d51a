import './instrument';
import { loadConfig } from '@keel/config';
import { onShutdown } from '@keel/kit';
import { createLogger, shutdownTelemetry } from '@keel/telemetry';
import { startRetrieval } from './app';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configShape);
  const logger = createLogger('retrieval', config.LOG_LEVEL);
  const app = await startRetrieval(config, logger);
  logger.info({ port: app.port }, 'retrieval serving');
  onShutdown(logger, [
    { name: 'retrieval', run: () => app.stop() },
    { name: 'telemetry', run: shutdownTelemetry },
  ]);
}

main().catch((error: unknown) => {
  console.error(`retrieval: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
