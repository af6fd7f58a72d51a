// First and last names of every locale @faker-js/faker ships (72 languages and regions), and its
// English words (nouns, verbs, adjectives… some 3,400), lower-cased: what the person model
// knows of words. Built once, on first use.
import { allLocales } from '@faker-js/faker';

export interface NameLists {
  first: ReadonlySet<string>;
  last: ReadonlySet<string>;
  /** Common English words: a capitalised one starts a sentence more often than it names. */
  english: ReadonlySet<string>;
}

let lists: NameLists | undefined;

export function nameLists(): NameLists {
  if (!lists) {
    const first = new Set<string>();
    const last = new Set<string>();
    for (const locale of Object.values(allLocales)) {
      const person = (locale as { person?: Record<string, unknown> }).person;
      if (!person) continue;
      addStrings(first, person.first_name);
      addStrings(last, person.last_name);
    }
    const english = new Set<string>();
    addStrings(english, allLocales.en.word);
    lists = { first, last, english };
  }
  return lists;
}

// A locale lists names flat or grouped by sex ({ female: [...], male: [...] }).
function addStrings(into: Set<string>, value: unknown): void {
  if (typeof value === 'string') into.add(value.toLowerCase());
  else if (Array.isArray(value)) for (const item of value) addStrings(into, item);
  else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) addStrings(into, item);
  }
}
