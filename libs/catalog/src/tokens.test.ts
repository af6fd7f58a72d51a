import fs from 'node:fs';
import path from 'node:path';
import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { builtinCatalog } from './builtin';
import { findModel } from './models';
import { countChatTokens, countTokens } from './tokens';
import { Tiktoken } from 'tiktoken/lite';

const catalog = builtinCatalog(1n);
const model = (name: string) => {
  const found = findModel(catalog, name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};
const withTokenizer = (tokenizer: string) => router.Model.fromPartial({ name: 'm', tokenizer });
// Counted exactly with o200k_base, as gpt-4o's tokens are; and with no exact tokenizer, as
// Anthropic's models, whose counts are estimated.
const o200k = withTokenizer('o200k_base');
const unknownTokenizer = withTokenizer('');
const message = (role: common.MessageRole, content: string) =>
  common.ChatMessage.fromPartial({ role, content });

describe('countTokens', () => {
  it('counts exactly with o200k_base', async () => {
    expect(await countTokens(o200k, 'hello world')).toEqual({ tokens: 2, estimated: false });
    expect(await countTokens(o200k, '')).toEqual({ tokens: 0, estimated: false });
    expect((await countTokens(o200k, 'The quick brown fox jumps over the lazy dog.')).tokens).toBe(
      10,
    );
    expect(await countTokens(model('sim-small'), 'hello world')).toEqual({
      tokens: 2,
      estimated: false,
    });
  });

  it('counts exactly with cl100k_base, which splits differently', async () => {
    const cl100k = withTokenizer('cl100k_base');
    expect(await countTokens(cl100k, 'hello world')).toEqual({ tokens: 2, estimated: false });
    // o200k_base's larger vocabulary covers more scripts in fewer tokens.
    expect((await countTokens(cl100k, 'こんにちは世界')).tokens).toBe(4);
    expect((await countTokens(withTokenizer('o200k_base'), 'こんにちは世界')).tokens).toBe(2);
  });

  it('counts special-token text as ordinary text instead of throwing', async () => {
    const counted = await countTokens(o200k, 'a <|endoftext|> b');
    expect(counted.estimated).toBe(false);
    expect(counted.tokens).toBeGreaterThan(3);
  });

  it('estimates ceil(chars / 4) when the model has no known tokenizer', async () => {
    expect(await countTokens(unknownTokenizer, 'hello world')).toEqual({
      tokens: 3,
      estimated: true,
    });
    expect(await countTokens(unknownTokenizer, 'abcd')).toEqual({ tokens: 1, estimated: true });
    expect(await countTokens(unknownTokenizer, '')).toEqual({ tokens: 0, estimated: true });
    expect(await countTokens(withTokenizer('p50k_base'), 'abcde')).toEqual({
      tokens: 2,
      estimated: true,
    });
    expect((await countTokens(withTokenizer('toString'), 'abcde')).estimated).toBe(true);
  });
});

describe('countTokens on real and adversarial text', () => {
  const dataDir = path.resolve(__dirname, '../../../../shared/data');
  const records = (file: string): Record<string, unknown>[] => {
    const at = path.join(dataDir, file);
    if (!fs.existsSync(at)) throw new Error(`reference data missing: ${at} (see shared/data)`);
    return fs
      .readFileSync(at, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  const texts = (file: string, ...fields: string[]) =>
    records(file).flatMap((record) => fields.map((field) => String(record[field])));
  const realTexts = [
    ...texts('routing/gsm8k.jsonl', 'prompt'),
    ...records('routing/gsm8k.jsonl').flatMap((record) =>
      ['weak', 'strong'].map((side) => String((record[side] as { response: string }).response)),
    ),
    ...texts('rag/halueval_qa.jsonl', 'question', 'knowledge', 'right_answer'),
    ...texts('guardrails/pii.jsonl', 'text'),
    ...texts('guardrails/moderation.jsonl', 'text'),
  ];

  /** tiktoken's own encoder over the whole text, with no splitting of long runs. */
  const wholeTextCount = (encoding: string) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ranks = require(`tiktoken/encoders/${encoding}.json`) as Record<string, never>;
    const encoder = new Tiktoken(ranks.bpe_ranks, ranks.special_tokens, ranks.pat_str);
    return (text: string) => encoder.encode_ordinary(text).length;
  };

  it.each(['o200k_base', 'cl100k_base'])(
    'counts every real text exactly as the whole-text %s encoder does',
    async (encoding) => {
      const expected = wholeTextCount(encoding);
      const counted = await Promise.all(
        realTexts.map((text) => countTokens(withTokenizer(encoding), text)),
      );
      const differing = realTexts.filter((text, i) => counted[i].tokens !== expected(text));
      expect(realTexts.length).toBeGreaterThan(3000);
      expect(differing).toEqual([]);
      // The long texts go to the worker thread: the same counts.
      const joined = realTexts.join('\n');
      expect(await countTokens(withTokenizer(encoding), joined)).toEqual({
        tokens: expected(joined),
        estimated: false,
      });
    },
  );

  it('counts text holding U+FEFF or U+0085 as tiktoken does, though JavaScript reads them otherwise', async () => {
    for (const encoding of ['o200k_base', 'cl100k_base']) {
      const expected = wholeTextCount(encoding);
      for (const text of [
        '\uFEFF',
        '\uFEFFQuick dating tips',
        'one\u0085two  three',
        'a \uFEFF b',
      ]) {
        expect(await countTokens(withTokenizer(encoding), text)).toEqual({
          tokens: expected(text),
          estimated: false,
        });
      }
    }
  });

  it('counts a chat of many messages, longer in all than is counted inline, message by message', async () => {
    const expected = wholeTextCount('o200k_base');
    const contents = realTexts.slice(0, 200);
    const chat = contents.map((content) => message(common.MessageRole.MESSAGE_ROLE_USER, content));
    const perMessage = contents.map((content) => 3 + expected('user') + expected(content));
    expect(await countChatTokens(o200k, chat)).toEqual({
      tokens: 3 + perMessage.reduce((sum, tokens) => sum + tokens, 0),
      estimated: false,
    });
  });

  it('counts a long run inside ordinary text without changing the text around it', async () => {
    const expected = wholeTextCount('o200k_base');
    const before = realTexts[0];
    const after = realTexts[1];
    // 8 letters `a` are one token, so a run of 8n is n tokens however it is cut; a newline
    // keeps the run a piece of its own.
    const text = `${before}\n${'a'.repeat(4000)}\n${after}`;
    expect(await countTokens(o200k, text)).toEqual({ tokens: expected(text), estimated: false });
  });

  it.each([
    ['one letter', 'a', 50_000],
    ['digits', '7', 133_334],
    ['newlines', '\n', 25_000],
    ['CJK', '漢', 400_000],
    ['emoji', '😀', 200_000],
  ])('counts a 400,000-character run of %s', async (_shape, unit, tokens) => {
    expect(await countTokens(o200k, unit.repeat(400_000 / unit.length))).toEqual({
      tokens,
      estimated: false,
    });
  });

  it.each([
    ['punctuation', '!'],
    ['alternating punctuation', '-='],
    ['spaces', ' '],
    ['capitals', 'A'],
    ['accents', 'é'],
    ['mixed scripts', 'aé😀!7 x漢'],
  ])('counts a 400,000-character run of %s', async (_shape, unit) => {
    const text = unit.repeat(Math.ceil(400_000 / unit.length)).slice(0, 400_000);
    const counted = await countTokens(o200k, text);
    expect(counted.estimated).toBe(false);
    expect(counted.tokens).toBeGreaterThan(0);
  });
});

describe('countChatTokens', () => {
  const { MESSAGE_ROLE_SYSTEM: SYSTEM, MESSAGE_ROLE_USER: USER } = common.MessageRole;

  it("follows OpenAI's chat accounting: 3 per message + role + content, + 3 priming", async () => {
    const messages = [message(SYSTEM, 'You are helpful.'), message(USER, 'hello world')];
    // system: 3 + 1 ('system') + 4 ('You are helpful.'); user: 3 + 1 ('user') + 2; priming 3.
    expect(await countChatTokens(o200k, messages)).toEqual({
      tokens: 3 + 1 + 4 + (3 + 1 + 2) + 3,
      estimated: false,
    });
    expect((await countTokens(o200k, 'You are helpful.')).tokens).toBe(4);
  });

  it('is estimated when the model has no tokenizer', async () => {
    // user: 3 + ceil(4/4) + ceil(11/4); priming 3.
    expect(await countChatTokens(unknownTokenizer, [message(USER, 'hello world')])).toEqual({
      tokens: 3 + 1 + 3 + 3,
      estimated: true,
    });
  });

  it('counts only the priming for no messages', async () => {
    expect(await countChatTokens(o200k, [])).toEqual({ tokens: 3, estimated: false });
  });

  it('rejects a message without a role', async () => {
    const unset = message(common.MessageRole.MESSAGE_ROLE_UNSPECIFIED, 'hi');
    await expect(countChatTokens(o200k, [message(USER, 'a'), unset])).rejects.toThrow(
      new InvalidArgumentError('messages[1].role', 'must be set'),
    );
  });
});
