import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { common, inference, router } from '@keel/contracts';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { AnthropicProvider } from './anthropic/provider';
import { OpenAiCompatibleProvider } from './openai-compatible/provider';
import { type Provider, ProviderError, type ProviderRequest } from '../domain/provider';
import { ProviderRegistry, createProviderRegistry } from './registry';
import { SimProvider } from './sim/provider';

const SECRET = 'sk-keel-test-registry-d41c';
const SECRET_ENV = 'KEEL_TEST_REGISTRY_OPENAI_KEY';
const { PROVIDER_KIND_OPENAI_COMPATIBLE: OPENAI, PROVIDER_KIND_ANTHROPIC: ANTHROPIC } =
  router.ProviderKind;
const settings = { simLatencyMs: 0, simTokensPerSecond: 0 };

let upstream: SimUpstream;
let secrets: string;

beforeAll(async () => {
  upstream = await startSimUpstream({ secret: SECRET });
  secrets = mkdtempSync(path.join(tmpdir(), 'keel-secrets-'));
  process.env[SECRET_ENV] = SECRET;
});
afterAll(async () => {
  delete process.env[SECRET_ENV];
  rmSync(secrets, { recursive: true, force: true });
  await upstream.stop();
});

const openai = (fields: Partial<router.Provider> = {}) =>
  router.Provider.fromPartial({
    name: 'upstream',
    kind: OPENAI,
    baseUrl: `${upstream.url}/v1`,
    secretEnv: SECRET_ENV,
    ...fields,
  });
const ask = (provider: Provider | undefined) => {
  if (!provider) throw new Error('no adapter');
  const request: ProviderRequest = {
    model: router.Model.fromPartial({
      name: 'm',
      provider: provider.name,
      providerModel: 'sim-chat',
      tokenizer: 'o200k_base',
    }),
    messages: [
      common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content: 'Hi' }),
    ],
    maxTokens: 64,
    stop: [],
    responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_UNSPECIFIED,
    tools: [],
    toolChoice: '',
    signal: new AbortController().signal,
  };
  return provider.complete(request);
};

describe('ProviderRegistry', () => {
  it('always serves sim, and nothing it was not given', () => {
    const registry = createProviderRegistry([], settings);
    expect(registry.get('sim')).toBeInstanceOf(SimProvider);
    expect(registry.get('upstream')).toBeUndefined();
  });

  it('builds an adapter per kind, reading the key from the environment variable named', async () => {
    const registry = createProviderRegistry(
      [openai(), openai({ name: 'claude', kind: ANTHROPIC, baseUrl: upstream.url })],
      settings,
    );
    expect(registry.get('upstream')).toBeInstanceOf(OpenAiCompatibleProvider);
    expect(registry.get('claude')).toBeInstanceOf(AnthropicProvider);
    await expect(ask(registry.get('upstream'))).resolves.toMatchObject({
      text: expect.any(String),
    });
    expect(upstream.lastRequest()?.headers.authorization).toBe(`Bearer ${SECRET}`);
    await expect(ask(registry.get('claude'))).resolves.toMatchObject({ text: expect.any(String) });
    expect(upstream.lastRequest()?.path).toBe('/v1/messages');
  });

  it('reads the key from the file named, without its trailing newline', async () => {
    const file = path.join(secrets, 'openai-key');
    writeFileSync(file, `${SECRET}\n`);
    const registry = createProviderRegistry(
      [openai({ secretEnv: '', secretFile: file })],
      settings,
    );
    await ask(registry.get('upstream'));
    expect(upstream.lastRequest()?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('fails every call of a provider whose variable is not set, naming the variable, not retried', async () => {
    const registry = createProviderRegistry(
      [openai({ secretEnv: 'KEEL_TEST_UNSET_KEY' })],
      settings,
    );
    const before = upstream.counters().requests;
    const failure = ask(registry.get('upstream'));
    await expect(failure).rejects.toBeInstanceOf(ProviderError);
    await expect(failure).rejects.toMatchObject({
      transient: false,
      message: "provider 'upstream': environment variable KEEL_TEST_UNSET_KEY is not set",
    });
    const stream = registry.get('upstream')?.stream({} as ProviderRequest);
    await expect(stream?.[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      transient: false,
    });
    expect(upstream.counters().requests).toBe(before);
  });

  it('fails the calls of a provider whose secret file is missing or empty, naming the file', async () => {
    const missing = path.join(secrets, 'missing');
    const empty = path.join(secrets, 'empty');
    writeFileSync(empty, '\n');
    const registry = createProviderRegistry(
      [
        openai({ name: 'missing', secretEnv: '', secretFile: missing }),
        openai({ name: 'empty', secretEnv: '', secretFile: empty }),
        openai({ name: 'both', secretFile: empty }),
      ],
      settings,
    );
    await expect(ask(registry.get('missing'))).rejects.toThrow(
      `provider 'missing': secret file ${missing} cannot be read (ENOENT)`,
    );
    await expect(ask(registry.get('empty'))).rejects.toThrow(
      `provider 'empty': secret file ${empty} is empty`,
    );
    await expect(ask(registry.get('both'))).rejects.toThrow(
      "provider 'both': sets both secret_env and secret_file",
    );
  });

  it('keeps the adapter of an unchanged provider, rebuilds a changed one and drops a removed one', () => {
    const registry = new ProviderRegistry(settings, [openai(), openai({ name: 'other' })]);
    const upstreamAdapter = registry.get('upstream');
    const otherAdapter = registry.get('other');
    registry.update([openai(), openai({ name: 'other', defaultHeaders: { 'x-team': 'a' } })]);
    expect(registry.get('upstream')).toBe(upstreamAdapter);
    expect(registry.get('other')).not.toBe(otherAdapter);
    expect(registry.get('other')).toBeInstanceOf(OpenAiCompatibleProvider);
    registry.update([openai()]);
    expect(registry.get('other')).toBeUndefined();
    expect(registry.get('upstream')).toBe(upstreamAdapter);
    expect(registry.get('sim')).toBeInstanceOf(SimProvider);
  });
});
