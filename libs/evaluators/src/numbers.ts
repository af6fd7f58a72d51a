// The final number of a worked answer, as GSM8K-style graders read it.

// A number as answers write it: `-$1,234.50`, `$-5`, `1,234`, `3.5`, `.5`, `−7` (Unicode minus).
// Commas only group thousands, so `1,2,3` is three numbers, not 123.
const NUMBER = /(?<![\d.])([-−]?)\s?\$?\s?([-−]?)(\d{1,3}(?:,\d{3})+|\d+)?(\.\d+)?(?![\d])/gu;
// Where an answer says which number is final, in order of trust.
const FINAL_MARKERS = [/####([^\n]*)/g, /\\boxed\{([^{}]*)\}/g, /answer(?: is|:)\s*([^\n]*)/gi];
// A calculator annotation (`<<9*2=18>>`) repeats a step, it is not the answer.
const ANNOTATION = /<<[^>]*>>/g;

/**
 * The final number of `text`: the first number after the last `#### `, else in the last
 * `\boxed{}`, else after the last "answer is"/"answer:", else the last number in the text.
 */
export function finalNumber(text: string): number | undefined {
  const plain = text.replace(ANNOTATION, '');
  for (const marker of FINAL_MARKERS) {
    const marked = [...plain.matchAll(marker)].at(-1);
    const found = marked && numbersIn(marked[1] ?? '')[0];
    if (found !== undefined) return found;
  }
  return numbersIn(plain).at(-1);
}

/** Every number in `text`, in order. */
export function numbersIn(text: string): number[] {
  const numbers: number[] = [];
  for (const [, signBefore, signAfter, whole, fraction] of text.matchAll(NUMBER)) {
    if (whole === undefined && fraction === undefined) continue;
    const digits = `${(whole ?? '0').replace(/,/g, '')}${fraction ?? ''}`;
    const negative = Boolean(signBefore || signAfter);
    numbers.push(negative ? -Number(digits) : Number(digits));
  }
  return numbers;
}
