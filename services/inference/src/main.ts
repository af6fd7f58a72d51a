import './instrument';
import { loadConfig } from '@keel/config';
import { onShutdown } from '@keel/kit';
import { createLogger, shutdownTelemetry } from '@keel/telemetry';
import { startInference } from './app';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configShape);
  const logger = createLogger('inference', config.LOG_LEVEL);
  const app = await startInference(config, logger);
  logger.info({ port: app.port }, 'inference listening');
  onShutdown(logger, [
    { name: 'inference', run: () => app.stop() },
    { name: 'telemetry', run: shutdownTelemetry },
  ]);
}

main().catch((error: unknown) => {
  console.error(`inference: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
