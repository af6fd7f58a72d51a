import { builtinCatalog, findModel } from '@keel/catalog';
import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { DEFAULT_MAX_TOKENS, resolveMaxTokens, validateMessages } from './validate';

const { MESSAGE_ROLE_USER: USER, MESSAGE_ROLE_SYSTEM: SYSTEM } = common.MessageRole;
const limits = { maxMessages: 3, maxInputChars: 20 };
const message = (content: string, role = USER) => common.ChatMessage.fromPartial({ role, content });

/** The InvalidArgumentError `run` throws, so a test can check the field it names. */
function rejection(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('validateMessages', () => {
  it('accepts messages within the limits', () => {
    expect(() =>
      validateMessages([message('be brief', SYSTEM), message('hello')], limits),
    ).not.toThrow();
  });

  it('names `messages` when there are none', () => {
    const error = rejection(() => validateMessages([], limits));
    expect(error.field).toBe('messages');
    expect(error.message).toBe('messages: must not be empty');
  });

  it('names the message whose role is unset or unknown', () => {
    const unset = common.ChatMessage.fromPartial({ content: 'hi' });
    expect(rejection(() => validateMessages([message('a'), unset], limits)).field).toBe(
      'messages[1].role',
    );
    const unknown = common.ChatMessage.fromPartial({
      role: 42 as common.MessageRole,
      content: 'hi',
    });
    expect(rejection(() => validateMessages([unknown], limits)).field).toBe('messages[0].role');
  });

  it('names the message whose content is empty or blank', () => {
    expect(rejection(() => validateMessages([message('')], limits)).field).toBe(
      'messages[0].content',
    );
    expect(rejection(() => validateMessages([message('a'), message('  \n')], limits)).field).toBe(
      'messages[1].content',
    );
  });

  it('caps the number of messages', () => {
    const error = rejection(() => validateMessages(['a', 'b', 'c', 'd'].map(message), limits));
    expect(error.field).toBe('messages');
    expect(error.message).toMatch(/4 messages; at most 3/);
  });

  it('caps the characters of all contents together', () => {
    expect(() =>
      validateMessages([message('x'.repeat(10)), message('y'.repeat(10))], limits),
    ).not.toThrow();
    const error = rejection(() =>
      validateMessages([message('x'.repeat(10)), message('y'.repeat(11))], limits),
    );
    expect(error.field).toBe('messages');
    expect(error.message).toMatch(/21 characters of content; at most 20/);
  });
});

describe('resolveMaxTokens', () => {
  const catalog = builtinCatalog(1n);
  const model = (name: string) => findModel(catalog, name) as router.Model;
  const simSmall = model('sim-small'); // 16,384 output tokens at most
  const haiku = router.Model.fromPartial({ name: 'haiku', maxOutputTokens: 8_192n });

  it('keeps a max_tokens within the limit', () => {
    expect(resolveMaxTokens(1, 0, [simSmall])).toBe(1);
    expect(resolveMaxTokens(16_384, 0, [simSmall])).toBe(16_384);
  });

  it('refuses a negative or oversized max_tokens, naming the field and the range', () => {
    for (const requested of [-1, 16_385]) {
      const error = rejection(() => resolveMaxTokens(requested, 0, [simSmall]));
      expect(error.field).toBe('max_tokens');
      expect(error.message).toBe('max_tokens: must be between 0 and 16384');
    }
  });

  it('holds the request to the smallest limit of the chain, since any model may serve', () => {
    expect(rejection(() => resolveMaxTokens(10_000, 0, [simSmall, haiku])).message).toBe(
      'max_tokens: must be between 0 and 8192',
    );
  });

  it('uses the variant default for 0, and 512 when the variant sets none', () => {
    expect(resolveMaxTokens(0, 300, [simSmall])).toBe(300);
    expect(resolveMaxTokens(0, 0, [simSmall])).toBe(DEFAULT_MAX_TOKENS);
    expect(DEFAULT_MAX_TOKENS).toBe(512);
  });

  it('cuts a variant default above the limit down to the limit', () => {
    expect(resolveMaxTokens(0, 50_000, [simSmall, haiku])).toBe(8_192);
  });

  it('ignores a model without a known output limit', () => {
    const unlimited = router.Model.fromPartial({ name: 'unlimited', provider: 'sim' });
    expect(resolveMaxTokens(100_000, 0, [unlimited])).toBe(100_000);
  });
});
