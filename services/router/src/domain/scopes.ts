import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

const {
  API_KEY_SCOPE_INFERENCE,
  API_KEY_SCOPE_FEEDBACK,
  API_KEY_SCOPE_ANALYTICS,
  API_KEY_SCOPE_ADMIN,
} = router.ApiKeyScope;

/** Every scope a key may hold, by the word callers and documents use. */
const SCOPE_BY_WORD: ReadonlyMap<string, router.ApiKeyScope> = new Map([
  ['inference', API_KEY_SCOPE_INFERENCE],
  ['feedback', API_KEY_SCOPE_FEEDBACK],
  ['analytics', API_KEY_SCOPE_ANALYTICS],
  ['admin', API_KEY_SCOPE_ADMIN],
]);
const WORD_BY_SCOPE = new Map([...SCOPE_BY_WORD].map(([word, scope]) => [scope, word]));

/** A new tenant's first key when the request names no scopes: everything but admin. */
export const DEFAULT_KEY_SCOPES: readonly router.ApiKeyScope[] = [
  API_KEY_SCOPE_INFERENCE,
  API_KEY_SCOPE_FEEDBACK,
  API_KEY_SCOPE_ANALYTICS,
];

/** The operator's bootstrap key holds every scope. */
export const OPERATOR_KEY_SCOPES: readonly router.ApiKeyScope[] = [
  API_KEY_SCOPE_ADMIN,
  API_KEY_SCOPE_INFERENCE,
  API_KEY_SCOPE_FEEDBACK,
  API_KEY_SCOPE_ANALYTICS,
];

/**
 * The scopes a key is given, in request order without repeats. UNSPECIFIED and values this
 * version does not know are refused, naming the entry at fault (`field[i]`).
 */
export function validateScopes(
  scopes: readonly router.ApiKeyScope[],
  field: string,
): router.ApiKeyScope[] {
  scopes.forEach((scope, i) => {
    if (!WORD_BY_SCOPE.has(scope)) {
      throw new InvalidArgumentError(
        `${field}[${i}]`,
        `${router.apiKeyScopeToJSON(scope)} (${scope}) is not a scope; ` +
          `use ${[...SCOPE_BY_WORD.keys()].join(', ')}`,
      );
    }
  });
  return [...new Set(scopes)];
}

/** `API_KEY_SCOPE_ADMIN` → `admin`. */
export function scopeWord(scope: router.ApiKeyScope): string {
  const word = WORD_BY_SCOPE.get(scope);
  if (word === undefined) throw new Error(`not a key scope: ${scope}`);
  return word;
}

/** `admin` → `API_KEY_SCOPE_ADMIN`. */
export function scopeOfWord(word: string): router.ApiKeyScope {
  const scope = SCOPE_BY_WORD.get(word);
  if (scope === undefined) throw new Error(`not a key scope: '${word}'`);
  return scope;
}
