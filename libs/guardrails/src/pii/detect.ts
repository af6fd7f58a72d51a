// detectPii runs the finders of the asked types and keeps, where spans overlap, the one of the
// more specific type (a card number is not also a phone number); redactPii and countPii work
// on its answer.
import { PATTERN_FINDERS } from './patterns';
import { findPersons } from './person';
import { PII_TYPES, type PiiSpan, type PiiType } from './types';

// Earlier wins an overlap: the shapes that are checked (Luhn, SSA rules, node:net) first.
const PRECEDENCE: readonly PiiType[] = [
  'EMAIL_ADDRESS',
  'CREDIT_CARD',
  'US_SSN',
  'IP_ADDRESS',
  'PHONE_NUMBER',
  'PERSON',
];

/** Finds personal data of the given types (all when omitted), spans sorted, not overlapping. */
export function detectPii(text: string, types: readonly PiiType[] = PII_TYPES): PiiSpan[] {
  const kept: PiiSpan[] = []; // sorted by start, never overlapping
  for (const type of PRECEDENCE) {
    if (!types.includes(type)) continue;
    const found = type === 'PERSON' ? findPersons(text) : PATTERN_FINDERS[type](text);
    for (const span of found) {
      const at = firstEndingAfter(kept, span.start);
      if (at === kept.length || kept[at].start >= span.end) kept.splice(at, 0, span);
    }
  }
  return kept;
}

/** The index of the first span of `sorted` that ends after `offset`. */
function firstEndingAfter(sorted: readonly PiiSpan[], offset: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid].end <= offset) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Replaces each span with `<TYPE>`. */
export function redactPii(text: string, spans: readonly PiiSpan[]): string {
  let out = '';
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at) continue;
    out += `${text.slice(at, span.start)}<${span.type}>`;
    at = span.end;
  }
  return out + text.slice(at);
}

/** Counts spans by type (only types present). */
export function countPii(spans: readonly PiiSpan[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const span of spans) counts[span.type] = (counts[span.type] ?? 0) + 1;
  return counts;
}
