// What a question asks beyond its topic: its numbers, its negations and the names it mentions.
// Embeddings score "How many apples are left if 3 are eaten?" and the same with 4 as nearly the
// same text, and a negated question as close to its opposite; a semantic hit needs these to match
// exactly, whatever the similarity. Paraphrases (reordered clauses, synonyms) keep all three.

/** The parts of a question that must agree for two questions to ask the same thing. */
export interface AskedDetails {
  /** Numbers, digits or words, normalised (`1,200` and `1200` are one), sorted. */
  numbers: string[];
  /** How many negations it holds (`not`, `no`, `never`, `n't`, `without`…). */
  negations: number;
  /**
   * Capitalised words inside a sentence that are not common words: names of people, places and
   * things. A word opening a sentence is capitalised whatever it is, so it is not taken for one.
   */
  names: string[];
  /** Every word, lowercase, sorted: where the other question's names are looked for. */
  words: string[];
}

// prettier-ignore
const NUMBER_WORDS: Record<string, string> = {
  zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7',
  eight: '8', nine: '9', ten: '10', eleven: '11', twelve: '12', thirteen: '13', fourteen: '14',
  fifteen: '15', sixteen: '16', seventeen: '17', eighteen: '18', nineteen: '19', twenty: '20',
  thirty: '30', forty: '40', fifty: '50', sixty: '60', seventy: '70', eighty: '80', ninety: '90',
  hundred: '100', thousand: '1000', million: '1000000', half: '0.5', twice: '2x', double: '2x',
  triple: '3x', thrice: '3x', quarter: '0.25', dozen: '12',
};

// prettier-ignore
const NEGATIONS = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'nowhere', 'without',
  'cannot', 'hardly', 'barely',
]);

// Words written capitalised at the start of a sentence that name nothing.
const COMMON = new Set(
  (
    'a an the this that these those there here what which who whom whose when where why how ' +
    'if then so and but or because since after before while during each every all some any ' +
    'many much more most few is are was were be been do does did can could would should will ' +
    'shall may might must has have had i you he she it we they me him her us them my your his ' +
    'its our their in on at for from to of by with about as into over under between please ' +
    'tell give find name list explain describe calculate compute suppose assume let given ' +
    'also yes no not never'
  ).split(' '),
);

const WORDS = /[\p{L}\p{N}][\p{L}\p{N}'’.,]*/gu;
const NUMERIC = /^\d[\d,]*(?:\.\d+)?$/;
/** Between two words: what ends a sentence, so the next word opens one. */
const SENTENCE_END = /[.?!:;\n]/;

export function askedDetails(text: string): AskedDetails {
  const numbers: string[] = [];
  const names = new Set<string>();
  const words = new Set<string>();
  let negations = 0;
  let previousEnd = 0;
  for (const match of text.matchAll(WORDS)) {
    const opensSentence =
      previousEnd === 0 || SENTENCE_END.test(text.slice(previousEnd - 1, match.index));
    previousEnd = match.index + match[0].length;
    // Sentence punctuation ends the word; a decimal point or thousands comma inside it does not.
    const word = match[0].replace(/[.,]+$/, '');
    const lower = word.toLowerCase().replace(/’/g, "'");
    words.add(lower);
    if (/^\d/.test(word)) {
      // `3rd`, `10am` and the like are kept as written.
      numbers.push(NUMERIC.test(word) ? String(Number(word.replace(/,/g, ''))) : lower);
      continue;
    }
    const spelled = NUMBER_WORDS[lower];
    if (spelled) numbers.push(spelled);
    if (NEGATIONS.has(lower) || lower.endsWith("n't")) negations += 1;
    if (/^\p{Lu}/u.test(word) && !opensSentence && !COMMON.has(lower) && !spelled) {
      names.add(lower);
    }
  }
  return {
    numbers: numbers.sort(),
    negations,
    names: [...names].sort(),
    words: [...words].sort(),
  };
}

/**
 * Whether two questions ask for the same thing, as far as their details show: the same numbers
 * and negations, and each one's names found in the other.
 */
export function sameDetails(a: AskedDetails, b: AskedDetails): boolean {
  const namedIn = (names: string[], words: string[]) => {
    const present = new Set(words);
    return names.every((name) => present.has(name));
  };
  return (
    a.negations === b.negations &&
    a.numbers.join(' ') === b.numbers.join(' ') &&
    namedIn(a.names, b.words) &&
    namedIn(b.names, a.words)
  );
}
