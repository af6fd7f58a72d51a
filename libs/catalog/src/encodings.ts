// Token counts by a tiktoken encoding, in time linear in the text, with gpt-tokenizer (plain
// JavaScript, whose counts equal tiktoken's; it counts a short message about six times faster
// than tiktoken's WebAssembly, which crossed into WebAssembly and built an array per count).
// JavaScript's `\s` holds U+FEFF and lacks U+0085, unlike the Unicode White_Space that the
// encodings' patterns mean, so gpt-tokenizer splits a text holding either otherwise: such a
// text goes to tiktoken's own encoder.
// Byte-pair merging costs the square of a piece's length, so one unbroken run (400,000 letters
// `a` are a single piece) would take hours; pieces longer than MAX_PIECE_CHARS are merged in
// bounded chunks instead. Ordinary text has no such pieces (the longest in the reference
// corpora is 64 characters), so its count is the encoder's own; only an over-long run may count
// differently than whole.
import { Tiktoken } from 'tiktoken/lite';

const MAX_PIECE_CHARS = 128;

// Every piece is a run of whitespace, or a run of characters that are not whitespace or are
// line breaks, after at most one other character. So text with no run of MAX_PIECE_CHARS such
// characters and none of more whitespace has no over-long piece, and goes to the encoder whole,
// with no scan for pieces first (a scan costs as much as the encoding).
const MAY_HOLD_LONG_PIECE = new RegExp(
  `[\\S\\r\\n]{${MAX_PIECE_CHARS}}|\\s{${MAX_PIECE_CHARS + 1}}`,
  'u',
);

/** What Keel uses of a gpt-tokenizer encoding module. */
interface Encoder {
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

// The contractions of the encodings' split patterns, which tiktoken writes as an inline
// case-insensitive group (`(?i:'s|'t|…)`) that Node 20's RegExp cannot parse, spelled out.
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

// Each encoding's rank table is megabytes: loaded only when a model first needs it. Its split
// pattern (the encoding's own, from tiktoken) finds the over-long pieces.
/* eslint-disable @typescript-eslint/no-require-imports */
const ENCODINGS: Record<string, { load: () => Encoder; pattern: string }> = {
  o200k_base: {
    load: () => require('gpt-tokenizer/encoding/o200k_base') as Encoder,
    pattern:
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+${CONTRACTIONS}?` +
      `|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*${CONTRACTIONS}?` +
      `|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
  },
  cl100k_base: {
    load: () => require('gpt-tokenizer/encoding/cl100k_base') as Encoder,
    pattern:
      `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*` +
      `|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

// Text that looks like a special token (`<|endoftext|>`) is neither allowed as one nor refused:
// it is encoded as ordinary text.
const ORDINARY = { disallowedSpecial: new Set<string>() };

interface Counter {
  encoder: Encoder;
  pieces: RegExp;
  /** tiktoken's encoder, loaded for the first text that needs it. */
  tiktoken: () => Tiktoken;
}

const READ_OTHERWISE_BY_JAVASCRIPT = /[\uFEFF\u0085]/;

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
  const { encoder, pieces, tiktoken } = counterFor(encoding);
  const count = (part: string) => {
    if (part.length === 0) return 0;
    if (READ_OTHERWISE_BY_JAVASCRIPT.test(part)) return tiktoken().encode_ordinary(part).length;
    return encoder.countTokens(part, ORDINARY);
  };
  if (text.length <= MAX_PIECE_CHARS || !MAY_HOLD_LONG_PIECE.test(text)) return count(text);
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
  const { load, pattern } = ENCODINGS[encoding];
  let tiktoken: Tiktoken | undefined;
  const counter = {
    encoder: load(),
    pieces: new RegExp(pattern, 'gu'),
    tiktoken: () => (tiktoken ??= tiktokenEncoder(encoding)),
  };
  counters.set(encoding, counter);
  return counter;
}

function tiktokenEncoder(encoding: string): Tiktoken {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ranks = require(`tiktoken/encoders/${encoding}.json`) as TiktokenRanks;
  return new Tiktoken(ranks.bpe_ranks, ranks.special_tokens, ranks.pat_str);
}

interface TiktokenRanks {
  bpe_ranks: string;
  special_tokens: Record<string, number>;
  pat_str: string;
}
