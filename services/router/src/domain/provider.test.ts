import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { providerKindOfWord, providerKindWord, validateProvider } from './provider';

const { PROVIDER_KIND_UNSPECIFIED, PROVIDER_KIND_SIM, PROVIDER_KIND_OPENAI_COMPATIBLE } =
  router.ProviderKind;

function provider(overrides: Partial<router.Provider> = {}): router.Provider {
  return router.Provider.fromPartial({
    name: 'openai',
    kind: PROVIDER_KIND_OPENAI_COMPATIBLE,
    baseUrl: 'https://api.openai.com/v1',
    secretEnv: 'OPENAI_API_KEY',
    ...overrides,
  });
}

/** The field an InvalidArgumentError names, and its message. */
function refusal(overrides: Partial<router.Provider>): { field: string; message: string } {
  try {
    validateProvider(provider(overrides));
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('validateProvider', () => {
  it('accepts a provider, lowercasing and sorting its header names', () => {
    const valid = validateProvider(
      provider({ defaultHeaders: { 'OpenAI-Organization': 'org-1', 'X-Region': 'eu' } }),
    );
    expect(valid).toEqual({
      name: 'openai',
      kind: PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: 'https://api.openai.com/v1',
      secretEnv: 'OPENAI_API_KEY',
      secretFile: '',
      defaultHeaders: { 'openai-organization': 'org-1', 'x-region': 'eu' },
      updatedAt: undefined,
    });
    expect(Object.keys(valid.defaultHeaders)).toEqual(['openai-organization', 'x-region']);
  });

  it('accepts a provider without a secret, and one with a secret file', () => {
    expect(
      validateProvider(provider({ secretEnv: '', baseUrl: 'http://127.0.0.1:11434/v1' })),
    ).toMatchObject({ secretEnv: '', secretFile: '' });
    expect(
      validateProvider(provider({ secretEnv: '', secretFile: '/run/secrets/openai' })),
    ).toMatchObject({ secretFile: '/run/secrets/openai' });
  });

  it.each([
    [{ name: 'sim' }, 'provider.name', 'built in'],
    [{ name: 'Open AI' }, 'provider.name', 'must match'],
    [{ name: '' }, 'provider.name', 'must match'],
    [{ kind: PROVIDER_KIND_UNSPECIFIED }, 'provider.kind', 'not a provider kind'],
    [{ kind: PROVIDER_KIND_SIM }, 'provider.kind', 'built in'],
    [{ kind: 42 as router.ProviderKind }, 'provider.kind', 'not a provider kind'],
    [{ baseUrl: '' }, 'provider.base_url', 'required'],
    [{ baseUrl: 'api.openai.com/v1' }, 'provider.base_url', 'not a URL'],
    [{ baseUrl: 'ftp://example.com' }, 'provider.base_url', 'http or https'],
    [{ baseUrl: 'https://user:pw@example.com/v1' }, 'provider.base_url', 'secret_env'],
    [{ baseUrl: 'https://example.com/v1?api_key=abc' }, 'provider.base_url', 'secret_env'],
    [{ secretFile: '/run/secrets/k' }, 'provider.secret_file', 'not both'],
    [{ secretEnv: 'sk-proj-abc123' }, 'provider.secret_env', 'not the secret itself'],
    [{ secretEnv: '', secretFile: 'secrets/k' }, 'provider.secret_file', 'absolute path'],
    [
      { defaultHeaders: { 'bad header': 'x' } },
      'provider.default_headers[bad header]',
      'header name',
    ],
    [{ defaultHeaders: { 'x-a': 'one\r\ntwo' } }, 'provider.default_headers[x-a]', 'CR, LF'],
    [
      { defaultHeaders: { 'X-A': '1', 'x-a': '2' } },
      'provider.default_headers[x-a]',
      'ignore case',
    ],
  ])('refuses %j at %s', (overrides, field, problem) => {
    const { field: named, message } = refusal(overrides);
    expect(named).toBe(field);
    expect(message).toContain(problem);
  });

  it.each([
    'Authorization',
    'x-api-key',
    'api-key',
    'X-Goog-Api-Key',
    'x-auth-token',
    'client-secret',
  ])('refuses the header %s as a secret, pointing at secret_env and secret_file', (name) => {
    const { message } = refusal({ defaultHeaders: { [name]: 'sk-123' } });
    expect(message).toContain('secret_env or secret_file');
  });

  it('refuses a missing provider', () => {
    expect(() => validateProvider(undefined)).toThrow(InvalidArgumentError);
  });
});

describe('provider kind words', () => {
  it('round-trip every kind', () => {
    for (const word of ['sim', 'openai-compatible', 'anthropic']) {
      expect(providerKindWord(providerKindOfWord(word))).toBe(word);
    }
  });
});
