// When a key created with `--expires-in` or `--expires-at` stops working.
import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The expiry the flags name, or undefined when neither was given. */
export function expiryOf(
  flags: { expiresIn?: string; expiresAt?: string },
  now: Date,
): Date | undefined {
  if (flags.expiresIn !== undefined) {
    const match = /^(\d+)([smhd])$/.exec(flags.expiresIn.trim());
    if (!match) {
      throw new InvalidArgumentError(
        `--expires-in '${flags.expiresIn}': expected a number and a unit (s, m, h, d), e.g. 30d`,
      );
    }
    return new Date(now.getTime() + Number(match[1]) * UNIT_MS[match[2]]);
  }
  if (flags.expiresAt !== undefined) {
    const at = new Date(flags.expiresAt);
    if (Number.isNaN(at.getTime())) {
      throw new InvalidArgumentError(
        `--expires-at '${flags.expiresAt}': not a date; use ISO 8601, e.g. 2027-01-31T00:00:00Z`,
      );
    }
    return at;
  }
  return undefined;
}
