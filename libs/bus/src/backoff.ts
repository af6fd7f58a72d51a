const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 30_000;

/** The default redelivery delay after a failed delivery: 200 ms, doubling, at most 30 s. */
export function exponentialNakDelay(deliveryCount: number): number {
  const failures = Math.max(1, Math.floor(deliveryCount));
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1));
}
