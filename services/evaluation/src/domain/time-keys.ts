// The hour and day an inference completed in (UTC), stored with each evaluation so time
// buckets need no date expressions (FerretDB 1.24 has none).
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export function hourStartOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

export function dayStartOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}
