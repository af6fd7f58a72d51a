import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { scopeOfWord, scopeWord, validateScopes } from './scopes';

const { API_KEY_SCOPE_UNSPECIFIED, API_KEY_SCOPE_INFERENCE, API_KEY_SCOPE_ADMIN } =
  router.ApiKeyScope;

describe('validateScopes', () => {
  it('keeps known scopes in order, without repeats', () => {
    expect(
      validateScopes([API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE, API_KEY_SCOPE_ADMIN], 'scopes'),
    ).toEqual([API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE]);
  });

  it('refuses UNSPECIFIED and unknown values, naming the entry', () => {
    expect(() =>
      validateScopes([API_KEY_SCOPE_INFERENCE, API_KEY_SCOPE_UNSPECIFIED], 'key_scopes'),
    ).toThrow(expect.objectContaining({ field: 'key_scopes[1]' }));
    expect(() => validateScopes([9 as router.ApiKeyScope], 'scopes')).toThrow(InvalidArgumentError);
  });
});

describe('scope words', () => {
  it('round-trip every scope', () => {
    expect(scopeWord(API_KEY_SCOPE_ADMIN)).toBe('admin');
    for (const word of ['inference', 'feedback', 'analytics', 'admin']) {
      expect(scopeWord(scopeOfWord(word))).toBe(word);
    }
    expect(() => scopeOfWord('root')).toThrow();
  });
});
