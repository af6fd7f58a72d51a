// Checks a provider's configuration. A provider is where inference sends a model's calls; its
// secret stays in inference's environment or file system, and only where to find it is stored.
import path from 'node:path';
import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

const { PROVIDER_KIND_SIM, PROVIDER_KIND_OPENAI_COMPATIBLE, PROVIDER_KIND_ANTHROPIC } =
  router.ProviderKind;

/** The provider built into inference, present without configuration and never stored. */
export const SIM_PROVIDER = 'sim';

/** Provider names: lowercase letters, digits and `-`, up to 64 characters (`openai`, `vllm-eu`). */
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** A POSIX environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Header and query parameter names that carry credentials: these belong in secret_env/secret_file.
const SECRET_LIKE =
  /^(authorization|proxy-authorization|cookie|x-api-key|api-key)$|key|token|secret|passw/i;
const USE_SECRET_REF =
  'it looks like a secret: name the variable or file holding it in secret_env or secret_file';

const KIND_WORDS: ReadonlyMap<router.ProviderKind, string> = new Map([
  [PROVIDER_KIND_SIM, 'sim'],
  [PROVIDER_KIND_OPENAI_COMPATIBLE, 'openai-compatible'],
  [PROVIDER_KIND_ANTHROPIC, 'anthropic'],
]);
const KINDS_BY_WORD = new Map([...KIND_WORDS].map(([kind, word]) => [word, kind]));

/** `PROVIDER_KIND_OPENAI_COMPATIBLE` → `openai-compatible`. */
export function providerKindWord(kind: router.ProviderKind): string {
  const word = KIND_WORDS.get(kind);
  if (word === undefined) throw new Error(`not a provider kind: ${kind}`);
  return word;
}

/** `openai-compatible` → `PROVIDER_KIND_OPENAI_COMPATIBLE`. */
export function providerKindOfWord(word: string): router.ProviderKind {
  const kind = KINDS_BY_WORD.get(word);
  if (kind === undefined) throw new Error(`not a provider kind: '${word}'`);
  return kind;
}

/** What inference needs to know of sim, listed beside the configured providers. */
export function simProvider(): router.Provider {
  return router.Provider.fromPartial({ name: SIM_PROVIDER, kind: PROVIDER_KIND_SIM });
}

/**
 * The provider to store (header names lowercased, updated_at unset), or InvalidArgumentError
 * naming the first field at fault.
 */
export function validateProvider(provider: router.Provider | undefined): router.Provider {
  if (!provider) throw new InvalidArgumentError('provider', 'a provider is required');
  if (provider.name === SIM_PROVIDER) {
    throw new InvalidArgumentError(
      'provider.name',
      `'${SIM_PROVIDER}' is built in and needs no configuration; choose another name`,
    );
  }
  if (!NAME.test(provider.name)) {
    throw new InvalidArgumentError(
      'provider.name',
      `'${provider.name}' must match ${NAME.source}, e.g. openai or vllm-eu`,
    );
  }
  if (provider.kind === PROVIDER_KIND_SIM) {
    throw new InvalidArgumentError(
      'provider.kind',
      `PROVIDER_KIND_SIM is built in as '${SIM_PROVIDER}'; use PROVIDER_KIND_OPENAI_COMPATIBLE or PROVIDER_KIND_ANTHROPIC`,
    );
  }
  if (
    provider.kind !== PROVIDER_KIND_OPENAI_COMPATIBLE &&
    provider.kind !== PROVIDER_KIND_ANTHROPIC
  ) {
    throw new InvalidArgumentError(
      'provider.kind',
      `${router.providerKindToJSON(provider.kind)} (${provider.kind}) is not a provider kind; ` +
        'use PROVIDER_KIND_OPENAI_COMPATIBLE or PROVIDER_KIND_ANTHROPIC',
    );
  }
  validateBaseUrl(provider.baseUrl);
  if (provider.secretEnv !== '' && provider.secretFile !== '') {
    throw new InvalidArgumentError(
      'provider.secret_file',
      'set secret_env or secret_file, not both',
    );
  }
  if (provider.secretEnv !== '' && !ENV_NAME.test(provider.secretEnv)) {
    throw new InvalidArgumentError(
      'provider.secret_env',
      `must be the name of an environment variable (${ENV_NAME.source}), e.g. OPENAI_API_KEY, not the secret itself`,
    );
  }
  if (provider.secretFile !== '' && !path.posix.isAbsolute(provider.secretFile)) {
    throw new InvalidArgumentError(
      'provider.secret_file',
      'must be an absolute path to the file holding the key, e.g. /run/secrets/openai',
    );
  }
  return {
    name: provider.name,
    kind: provider.kind,
    baseUrl: provider.baseUrl,
    secretEnv: provider.secretEnv,
    secretFile: provider.secretFile,
    defaultHeaders: validateHeaders(provider.defaultHeaders),
    updatedAt: undefined,
  };
}

function validateBaseUrl(baseUrl: string): void {
  const field = 'provider.base_url';
  if (baseUrl === '') throw new InvalidArgumentError(field, 'a base URL is required');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new InvalidArgumentError(field, `'${baseUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(field, `must be an http or https URL, not ${url.protocol}`);
  }
  // The URL is stored and published as given: credentials in it would be a stored secret.
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError(field, `holds credentials; ${USE_SECRET_REF}`);
  }
  for (const name of url.searchParams.keys()) {
    if (SECRET_LIKE.test(name)) {
      throw new InvalidArgumentError(field, `query parameter '${name}': ${USE_SECRET_REF}`);
    }
  }
}

/** Headers by lowercased name, sorted, so the same configuration always publishes the same bytes. */
function validateHeaders(headers: Record<string, string>): Record<string, string> {
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const field = `provider.default_headers[${name}]`;
    if (!HEADER_NAME.test(name)) {
      throw new InvalidArgumentError(field, 'not a valid HTTP header name');
    }
    const lower = name.toLowerCase();
    if (SECRET_LIKE.test(lower)) throw new InvalidArgumentError(field, USE_SECRET_REF);
    if (/[\r\n\0]/.test(value)) {
      throw new InvalidArgumentError(field, 'a header value may not hold CR, LF or NUL');
    }
    const earlier = seen.get(lower);
    if (earlier !== undefined) {
      throw new InvalidArgumentError(field, `the same header as '${earlier}' (names ignore case)`);
    }
    seen.set(lower, name);
  }
  return Object.fromEntries(
    Object.entries(headers)
      .map(([name, value]): [string, string] => [name.toLowerCase(), value])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
