// Words as the groundedness score compares them: folded and stemmed, so `Patriots'` and
// `patriot` meet.
import stemWord from 'wink-porter2-stemmer';

// A number with its decimals (`1234.5`), or letters and digits joined by inner apostrophes
// (`o'neill`). Dots and hyphens split words: passages often lack the space after a full stop
// (`Smash.Jaime Meline`), and `El-P` should meet `El P`.
const WORD = /\p{N}+(?:\.\p{N}+)*(?![\p{L}\p{N}])|[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;

export interface Word {
  /** As written (accents stripped). */
  text: string;
  /** What is compared. */
  key: string;
}

/** The words of `text`, in order. */
export function wordsOf(text: string): Word[] {
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    // Thousands separators go, so `108,249` is one number.
    .replace(/(\d),(?=\d{3}\b)/g, '$1');
  return Array.from(folded.matchAll(WORD), ([word]) => ({ text: word, key: keyOf(word) }));
}

// Stemming is the costly step (microseconds a word) and words repeat: keys are remembered, up
// to a bound, after which the memory starts over.
const MAX_REMEMBERED_KEYS = 50_000;
const keys = new Map<string, string>();

/** The comparison key of one word: lowercase, possessive and apostrophes dropped, stemmed. */
export function keyOf(word: string): string {
  let key = keys.get(word);
  if (key === undefined) {
    const bare = word.toLowerCase().replace(/'s$/, '').replace(/'/g, '');
    key = /\d/.test(bare) ? bare : stemWord(bare);
    if (keys.size >= MAX_REMEMBERED_KEYS) keys.clear();
    keys.set(word, key);
  }
  return key;
}
