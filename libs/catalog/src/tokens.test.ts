import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { builtinCatalog } from './builtin';
import { findModel } from './models';
import { countChatTokens, countTokens } from './tokens';

const catalog = builtinCatalog(1n);
const model = (name: string) => {
  const found = findModel(catalog, name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};
const withTokenizer = (tokenizer: string) => router.Model.fromPartial({ name: 'm', tokenizer });
const message = (role: common.MessageRole, content: string) =>
  common.ChatMessage.fromPartial({ role, content });

describe('countTokens', () => {
  it('counts exactly with o200k_base', () => {
    const gpt4o = model('gpt-4o');
    expect(countTokens(gpt4o, 'hello world')).toEqual({ tokens: 2, estimated: false });
    expect(countTokens(gpt4o, '')).toEqual({ tokens: 0, estimated: false });
    expect(countTokens(gpt4o, 'The quick brown fox jumps over the lazy dog.').tokens).toBe(10);
    expect(countTokens(model('sim-small'), 'hello world')).toEqual({
      tokens: 2,
      estimated: false,
    });
  });

  it('counts exactly with cl100k_base, which splits differently', () => {
    const cl100k = withTokenizer('cl100k_base');
    expect(countTokens(cl100k, 'hello world')).toEqual({ tokens: 2, estimated: false });
    // o200k_base's larger vocabulary covers more scripts in fewer tokens.
    expect(countTokens(cl100k, 'こんにちは世界').tokens).toBe(4);
    expect(countTokens(withTokenizer('o200k_base'), 'こんにちは世界').tokens).toBe(2);
  });

  it('counts special-token text as ordinary text instead of throwing', () => {
    const counted = countTokens(model('gpt-4o'), 'a <|endoftext|> b');
    expect(counted.estimated).toBe(false);
    expect(counted.tokens).toBeGreaterThan(3);
  });

  it('estimates ceil(chars / 4) when the model has no known tokenizer', () => {
    const haiku = model('claude-3-5-haiku');
    expect(countTokens(haiku, 'hello world')).toEqual({ tokens: 3, estimated: true });
    expect(countTokens(haiku, 'abcd')).toEqual({ tokens: 1, estimated: true });
    expect(countTokens(haiku, '')).toEqual({ tokens: 0, estimated: true });
    expect(countTokens(withTokenizer('p50k_base'), 'abcde')).toEqual({
      tokens: 2,
      estimated: true,
    });
    expect(countTokens(withTokenizer('toString'), 'abcde').estimated).toBe(true);
  });
});

describe('countChatTokens', () => {
  const { MESSAGE_ROLE_SYSTEM: SYSTEM, MESSAGE_ROLE_USER: USER } = common.MessageRole;

  it("follows OpenAI's chat accounting: 3 per message + role + content, + 3 priming", () => {
    const messages = [message(SYSTEM, 'You are helpful.'), message(USER, 'hello world')];
    // system: 3 + 1 ('system') + 4 ('You are helpful.'); user: 3 + 1 ('user') + 2; priming 3.
    expect(countChatTokens(model('gpt-4o-mini'), messages)).toEqual({
      tokens: 3 + 1 + 4 + (3 + 1 + 2) + 3,
      estimated: false,
    });
    expect(countTokens(model('gpt-4o-mini'), 'You are helpful.').tokens).toBe(4);
  });

  it('is estimated when the model has no tokenizer', () => {
    // user: 3 + ceil(4/4) + ceil(11/4); priming 3.
    expect(countChatTokens(model('claude-sonnet-4'), [message(USER, 'hello world')])).toEqual({
      tokens: 3 + 1 + 3 + 3,
      estimated: true,
    });
  });

  it('counts only the priming for no messages', () => {
    expect(countChatTokens(model('gpt-4o'), [])).toEqual({ tokens: 3, estimated: false });
  });

  it('rejects a message without a role', () => {
    const unset = message(common.MessageRole.MESSAGE_ROLE_UNSPECIFIED, 'hi');
    expect(() => countChatTokens(model('gpt-4o'), [message(USER, 'a'), unset])).toThrow(
      new InvalidArgumentError('messages[1].role', 'must be set'),
    );
  });
});
