// Deterministic pseudo-random numbers: the same seed always gives the same sequence.
import { createHash } from 'node:crypto';

/** sfc32 over four 32-bit words: uniform in [0, 1). */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A generator seeded with the SHA-256 of `text`. */
export function randomFromText(text: string): () => number {
  const digest = createHash('sha256').update(text).digest();
  const [a, b, c, d] = [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
  return sfc32(a, b, c, d);
}

/** A generator seeded with an integer. */
export function randomFromSeed(seed: number): () => number {
  return randomFromText(`seed:${seed}`);
}

/** A short hex digest of `text`, for ids that are stable across runs. */
export function digestOf(text: string, length = 24): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
