// Token counts by a tiktoken encoding, in time linear in the text. Byte-pair merging costs the
// square of a piece's length, so one unbroken run (400,000 letters `a` are a single piece)
// would take hours; pieces longer than MAX_PIECE_CHARS are merged in bounded chunks instead.
// Ordinary text has no such pieces (the longest in the reference corpora is 64 characters), so
// its count is the encoder's own; only an over-long run may count differently than whole.
import { Tiktoken } from 'tiktoken/lite';

const MAX_PIECE_CHARS = 128;

interface Encoding {
  bpe_ranks: string;
  special_tokens: Record<string, number>;
  pat_str: string;
}

// The rank tables are megabytes each: load one only when a model first needs it.
/* eslint-disable @typescript-eslint/no-require-imports */
const ENCODINGS: Record<string, () => Encoding> = {
  o200k_base: () => require('tiktoken/encoders/o200k_base.json') as Encoding,
  cl100k_base: () => require('tiktoken/encoders/cl100k_base.json') as Encoding,
};
/* eslint-enable @typescript-eslint/no-require-imports */

// The encodings' split patterns use an inline case-insensitive group, which Node 20's RegExp
// cannot parse; spelled out, it matches the same contractions.
const INLINE_CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

interface Counter {
  encoder: Tiktoken;
  pieces: RegExp;
}

const counters = new Map<string, Counter>();

/** True when `encoding` is one whose counts are exact (o200k_base, cl100k_base). */
export function isKnownEncoding(encoding: string): boolean {
  return Object.hasOwn(ENCODINGS, encoding);
}

/**
 * The tokens of `text` in `encoding` (which must be known). Text that looks like a special
 * token (`<|endoftext|>`) counts as ordinary text, as a provider counts it.
 */
export function countInEncoding(encoding: string, text: string): number {
  const { encoder, pieces } = counterFor(encoding);
  const count = (part: string) => (part.length > 0 ? encoder.encode_ordinary(part).length : 0);
  let tokens = 0;
  let start = 0;
  // Runs of ordinary pieces go to the encoder whole; each over-long piece is cut into chunks.
  for (const match of text.matchAll(pieces)) {
    const piece = match[0];
    if (piece.length <= MAX_PIECE_CHARS) continue;
    tokens += count(text.slice(start, match.index));
    for (const chunk of chunksOf(piece)) tokens += count(chunk);
    start = match.index + piece.length;
  }
  return tokens + count(text.slice(start));
}

/** `piece` in chunks of at most MAX_PIECE_CHARS, never splitting a surrogate pair. */
function* chunksOf(piece: string): Generator<string> {
  let at = 0;
  while (at < piece.length) {
    let end = Math.min(piece.length, at + MAX_PIECE_CHARS);
    if (end < piece.length && isHighSurrogate(piece.charCodeAt(end - 1))) end -= 1;
    yield piece.slice(at, end);
    at = end;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function counterFor(encoding: string): Counter {
  const cached = counters.get(encoding);
  if (cached) return cached;
  if (!isKnownEncoding(encoding)) throw new Error(`unknown encoding ${encoding}`);
  const { bpe_ranks, special_tokens, pat_str } = ENCODINGS[encoding]();
  const counter = {
    encoder: new Tiktoken(bpe_ranks, special_tokens, pat_str),
    pieces: new RegExp(pat_str.replaceAll(INLINE_CONTRACTIONS, CONTRACTIONS), 'gu'),
  };
  counters.set(encoding, counter);
  return counter;
}
