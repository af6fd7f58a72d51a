// A process that registers shutdown steps, for shutdown.test.ts to signal.
import pino from 'pino';
import { onShutdown } from './shutdown';

const logger = pino();
const hang = process.argv[2] === 'hang';

onShutdown(logger, [
  { name: 'stop accepting', run: async () => logger.info({}, 'stopping') },
  {
    name: 'drain',
    run: () =>
      hang ? new Promise<void>(() => undefined) : Promise.reject(new Error('drain failed')),
  },
  { name: 'close store', run: async () => logger.info({}, 'closing') },
]);
logger.info({}, 'ready');
// Keeps the process alive until a signal arrives.
setInterval(() => undefined, 60_000);
