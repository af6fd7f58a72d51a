import './instrument';
import { loadConfig } from '@keel/config';
import { onShutdown } from '@keel/kit';
import { createLogger, shutdownTelemetry } from '@keel/telemetry';
import { startBilling } from './app';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configShape);
  const logger = createLogger('billing', config.LOG_LEVEL);
  const app = await startBilling(config, logger);
  logger.info({ port: app.port }, 'billing serving');
  onShutdown(logger, [
    { name: 'billing', run: () => app.stop() },
    { name: 'telemetry', run: shutdownTelemetry },
  ]);
}

main().catch((error: unknown) => {
  console.error(`billing: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
