import type { KitLogger } from './logger';

export interface ShutdownOptions {
  /**
   * A signal this soon after the first is part of the same stop and is ignored: Ctrl-C in a
   * terminal signals the whole process group while a supervisor may send SIGTERM as well.
   * A signal after that exits 1 at once, for when a step hangs. Default 2 s.
   */
  sameStopWithinMs?: number;
}

/**
 * On SIGTERM or SIGINT, runs the steps in order (a failed step is logged and the next one
 * runs), then exits 0. See ShutdownOptions for a signal that comes while they run.
 */
export function onShutdown(
  logger: KitLogger,
  steps: Array<{ name: string; run: () => Promise<void> }>,
  { sameStopWithinMs = 2_000 }: ShutdownOptions = {},
): void {
  let firstSignalAt: number | null = null;

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
    if (firstSignalAt === null) {
      firstSignalAt = Date.now();
      logger.info({ signal }, 'shutting down');
      void runSteps().then(() => process.exit(0));
      return;
    }
    if (Date.now() - firstSignalAt < sameStopWithinMs) {
      logger.info({ signal }, 'signal while shutting down: part of the same stop');
      return;
    }
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
