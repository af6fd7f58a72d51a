import { common, inference, router } from '@keel/contracts';
import { type CacheKeyRequest, type CacheKeyRoute, cacheKey } from './key';

const user = (content: string) =>
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content });
const model = (name: string, providerModel = name) =>
  router.Model.fromPartial({ name, provider: 'up', providerModel });

const route: CacheKeyRoute = {
  tenantId: 'tenant-a',
  functionName: 'support.answer',
  variant: router.Variant.fromPartial({
    variantName: 'v1',
    modelChain: ['m1', 'm2'],
    defaultMaxTokens: 256,
  }),
  chain: [model('m1'), model('m2')],
  maxTokens: 256,
  guardrails: {},
};
const request: CacheKeyRequest = inference.CompleteRequest.fromPartial({
  messages: [user('What is Keel?')],
});
const keyOf = (r: Partial<CacheKeyRoute> = {}, q: Partial<CacheKeyRequest> = {}) =>
  cacheKey({ ...route, ...r }, { ...request, ...q });

describe('cacheKey', () => {
  const base = keyOf();

  it('is a valid KV key: tenant, function hash, request hash', () => {
    expect(base.storeKey).toMatch(/^tenant-a\.[0-9a-f]{16}\.[0-9a-f]{64}$/);
    expect(base.storeKey.endsWith(base.digest)).toBe(true);
  });

  it('hashes a tenant id that is not a plain KV token, and keeps tenants apart', () => {
    const odd = keyOf({ tenantId: 'acme corp/eu' });
    expect(odd.storeKey).toMatch(/^h[0-9a-f]{32}\.[0-9a-f]{16}\.[0-9a-f]{64}$/);
    expect(keyOf({ tenantId: 'tenant-b' }).digest).not.toBe(base.digest);
  });

  it('is the same for trailing whitespace, key order in JSON, and auto tool choice', () => {
    const tools = [
      common.Tool.fromPartial({ name: 't', parametersJsonSchema: '{"type":"object","a":1}' }),
    ];
    const reordered = [
      common.Tool.fromPartial({ name: 't', parametersJsonSchema: '{ "a": 1, "type": "object" }' }),
    ];
    expect(keyOf({}, { messages: [user('What is Keel?  \n')] }).digest).toBe(base.digest);
    expect(keyOf({}, { tools, toolChoice: 'auto' }).digest).toBe(
      keyOf({}, { tools: reordered, toolChoice: '' }).digest,
    );
  });

  it.each<[string, Partial<CacheKeyRoute>, Partial<CacheKeyRequest>]>([
    ['function', { functionName: 'other' }, {}],
    ['variant chain', { variant: { ...route.variant, modelChain: ['m2'] } }, {}],
    ['variant default max tokens', { variant: { ...route.variant, defaultMaxTokens: 9 } }, {}],
    ['served model behind a catalog name', { chain: [model('m1', 'm1-2025'), model('m2')] }, {}],
    ['max tokens', { maxTokens: 10 }, {}],
    [
      'guardrails',
      { guardrails: { function: router.Guardrails.fromPartial({ pii: { types: [] } }) } },
      {},
    ],
    ['message content', {}, { messages: [user('What is Keel')] }],
    ['message role', {}, { messages: [{ ...user('What is Keel?'), role: 1 }] }],
    ['leading whitespace', {}, { messages: [user(' What is Keel?')] }],
    ['pinned model', {}, { model: 'm2' }],
    ['temperature', {}, { temperature: 0 }],
    ['top_p', {}, { topP: 0.5 }],
    ['stop', {}, { stop: ['\n'] }],
    ['response format', {}, { responseFormat: 2 }],
    ['tools', {}, { tools: [common.Tool.fromPartial({ name: 't' })] }],
    ['tool choice', {}, { toolChoice: 'required' }],
  ])('changes with the %s', (_what, r, q) => {
    expect(keyOf(r, q).digest).not.toBe(base.digest);
  });

  it('does not read tags, episode or idempotency key', () => {
    const labelled = inference.CompleteRequest.fromPartial({
      ...request,
      tags: { a: '1' },
      episodeId: 'e',
      idempotencyKey: 'k',
    });
    expect(cacheKey(route, labelled).digest).toBe(base.digest);
  });
});
