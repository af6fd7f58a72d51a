const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5_000;

/** The default redelivery delay after a failed delivery: 200 ms, doubling, at most 30 s. */
export function exponentialNakDelay(deliveryCount: number): number {
  const failures = Math.max(1, Math.floor(deliveryCount));
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1));
}

/** The pause before restarting a consumer or watch that ended: 100 ms, doubling, at most 5 s. */
export function restartDelay(failures: number): number {
  const attempts = Math.max(1, Math.floor(failures));
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (attempts - 1));
}

/** Resolves after `ms`, or as soon as `interrupted` settles, whichever comes first. */
export function pause(ms: number, interrupted: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([elapsed, interrupted]).finally(() => clearTimeout(timer));
}
