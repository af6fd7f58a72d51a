// A process that registers shutdown steps, for shutdown.test.ts to signal. Its drain step
// fails ('fail'), hangs ('hang'), or finishes when a line arrives on stdin ('held'). A second
// argument sets sameStopWithinMs.
import readline from 'node:readline';
import pino from 'pino';
import { onShutdown } from './shutdown';

// Synchronous writes: each line is on stdout before the next statement runs.
const logger = pino(pino.destination({ dest: 1, sync: true }));
const [mode, sameStopWithinMs] = process.argv.slice(2);

const drain: Record<string, () => Promise<void>> = {
  fail: () => Promise.reject(new Error('drain failed')),
  hang: () => new Promise<void>(() => undefined),
  held: () =>
    new Promise<void>((resolve) =>
      readline.createInterface({ input: process.stdin }).once('line', () => resolve()),
    ),
};

onShutdown(
  logger,
  [
    { name: 'stop accepting', run: async () => logger.info({}, 'stopping') },
    { name: 'drain', run: drain[mode] },
    { name: 'close store', run: async () => logger.info({}, 'closing') },
  ],
  sameStopWithinMs === undefined ? {} : { sameStopWithinMs: Number(sameStopWithinMs) },
);
logger.info({}, 'ready');
// Keeps the process alive until a signal arrives.
setInterval(() => undefined, 60_000);
