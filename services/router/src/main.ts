import './instrument';
import { loadConfig } from '@keel/config';
import { onShutdown } from '@keel/kit';
import { createLogger, shutdownTelemetry } from '@keel/telemetry';
import { startRouter } from './app';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configShape);
  const logger = createLogger('router', config.LOG_LEVEL);
  const app = await startRouter(config, logger);
  logger.info({ port: app.port }, 'router serving');
  onShutdown(logger, [
    { name: 'router', run: () => app.stop() },
    { name: 'telemetry', run: shutdownTelemetry },
  ]);
}

main().catch((error: unknown) => {
  console.error(`router: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
