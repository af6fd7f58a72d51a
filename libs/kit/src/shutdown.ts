import type { KitLogger } from './logger';

/**
 * On SIGTERM or SIGINT, runs the steps in order (a failed step is logged and the next one
 * runs), then exits 0. A second signal exits 1 at once, for when a step hangs.
 */
export function onShutdown(
  logger: KitLogger,
  steps: Array<{ name: string; run: () => Promise<void> }>,
): void {
  let stopping = false;

  const runSteps = async (): Promise<void> => {
    for (const step of steps) {
      try {
        await step.run();
        logger.info({ step: step.name }, 'shutdown step done');
      } catch (error) {
        logger.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    logger.info({}, 'shut down');
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void runSteps().then(() => process.exit(0));
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
