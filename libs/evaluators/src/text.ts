// Words and normalised text, shared by the evaluators that read answers.

// Words as Unicode defines them (UAX #29, with dictionaries for scripts written without
// spaces), so Chinese or Japanese answers are not counted as one word; punctuation is not a word.
const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** The words in `text`, counted up to `atMost`: a long answer is not segmented to its end. */
export function wordCount(text: string, atMost = Number.POSITIVE_INFINITY): number {
  let count = 0;
  for (const segment of segmenter.segment(text)) {
    if (segment.isWordLike && ++count >= atMost) break;
  }
  return count;
}

/** Whether the text has any non-whitespace character (Unicode spaces included). */
export function hasText(text: string): boolean {
  return /\S/u.test(text);
}

/** Shortens `text` for a reason sentence. */
export function quote(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
}
