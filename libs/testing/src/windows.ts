// Tests of fixed time windows (rate limits) must not see a window end halfway through.

/**
 * Resolves once the current fixed window of `windowMs` (aligned on the epoch) has at least
 * `neededMs` left, waiting for the next window to begin when it has less. Returns that
 * window's start.
 */
export async function windowWithTimeLeft(windowMs: number, neededMs: number): Promise<number> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < neededMs) await new Promise((resolve) => setTimeout(resolve, left + 10));
  return Math.floor(Date.now() / windowMs) * windowMs;
}
