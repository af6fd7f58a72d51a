import type { Duration } from './gen/google/protobuf/duration';

export type { Duration };

export function durationFromMs(ms: number): Duration {
  const whole = Math.floor(ms);
  return {
    seconds: BigInt(Math.floor(whole / 1000)),
    nanos: (whole % 1000) * 1_000_000 + Math.round((ms - whole) * 1_000_000),
  };
}

export function durationToMs(duration: Duration | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds) * 1000 + duration.nanos / 1_000_000;
}
