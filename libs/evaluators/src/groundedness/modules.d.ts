// The two text libraries ship no types; these are the parts used.
declare module 'stopword' {
  /** English stopwords, lowercase. */
  export const eng: readonly string[];
}

declare module 'wink-porter2-stemmer' {
  /** The Porter2 (Snowball English) stem of a lowercase word. */
  function stem(word: string): string;
  export = stem;
}
