import { builtinCatalog, countChatTokens, countTokens, findModel } from '@keel/catalog';
import { common, inference, router } from '@keel/contracts';
import { ProviderError, type ProviderRequest } from '../../domain/provider';
import { SimProvider } from './provider';

const { MESSAGE_ROLE_USER: USER, MESSAGE_ROLE_SYSTEM: SYSTEM } = common.MessageRole;
const catalog = builtinCatalog(1n);
const simSmall = findModel(catalog, 'sim-small') as router.Model;
const simLarge = findModel(catalog, 'sim-large') as router.Model;
const chat = (...contents: string[]) =>
  contents.map((content, i) =>
    common.ChatMessage.fromPartial({
      role: i === 0 && contents.length > 1 ? SYSTEM : USER,
      content,
    }),
  );
const instant = new SimProvider({ latencyMs: 0, tokensPerSecond: 0 });
const ask = (
  messages: common.ChatMessage[],
  model = simSmall,
  maxTokens = 512,
  provider = instant,
  signal = new AbortController().signal,
) => provider.complete(requestOf(messages, model, maxTokens, signal));
const requestOf = (
  messages: common.ChatMessage[],
  model = simSmall,
  maxTokens = 512,
  signal = new AbortController().signal,
): ProviderRequest => ({
  model,
  messages,
  maxTokens,
  stop: [],
  responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_UNSPECIFIED,
  tools: [],
  toolChoice: '',
  signal,
});
const { FINISH_REASON_STOP: STOP, FINISH_REASON_LENGTH: LENGTH } = inference.FinishReason;

describe('SimProvider', () => {
  const question = chat('You answer support questions.', 'How do I rotate my billing API key?');

  it('answers the same conversation to the same model with the same text', async () => {
    const first = await ask(question);
    const second = await ask(
      chat('You answer support questions.', 'How do I rotate my billing API key?'),
    );
    expect(first.text).not.toBe('');
    expect(second).toEqual(first);
  });

  it('answers differently to another model or another question', async () => {
    const small = await ask(question);
    expect((await ask(question, simLarge)).text).not.toBe(small.text);
    expect((await ask(chat('What is the refund policy?'))).text).not.toBe(small.text);
  });

  it('writes a plausible answer about the question', async () => {
    const { text } = await ask(question);
    expect(text).toMatch(/^You asked about rotate and billing\. [A-Z]/);
    expect(text).toMatch(/\.$/);
  });

  it('counts usage with the catalog tokenizer', async () => {
    const { text, usage } = await ask(question);
    expect(usage).toEqual(
      common.Usage.fromPartial({
        inputTokens: BigInt((await countChatTokens(simSmall, question)).tokens),
        outputTokens: BigInt((await countTokens(simSmall, text)).tokens),
        estimated: false,
      }),
    );
    // o200k_base: 3 to prime the reply + 3 per message + 'user' (1) + 'Hello' (1).
    expect((await ask(chat('Hello'))).usage.inputTokens).toBe(8n);
  });

  it('passes an estimated count through for a model without a tokenizer', async () => {
    const noTokenizer = router.Model.fromPartial({ name: 'sim-plain', provider: 'sim' });
    const { usage } = await ask(question, noTokenizer);
    expect(usage.estimated).toBe(true);
    expect(usage.outputTokens).toBeGreaterThan(0n);
  });

  it('never answers more than max_tokens tokens', async () => {
    for (const maxTokens of [1, 3, 7, 20]) {
      const { text, usage } = await ask(question, simSmall, maxTokens);
      expect((await countTokens(simSmall, text)).tokens).toBeLessThanOrEqual(maxTokens);
      expect(usage.outputTokens).toBeLessThanOrEqual(BigInt(maxTokens));
    }
    const full = await ask(question);
    const cut = await ask(question, simSmall, 7);
    expect(full.text.startsWith(cut.text)).toBe(true);
  });

  it('answers the longest prefix that fits max_tokens', async () => {
    const { text } = await ask(question);
    const words = text.split(' ');
    for (const maxTokens of [5, 12]) {
      const cut = (await ask(question, simSmall, maxTokens)).text;
      const next = words.slice(0, cut.split(' ').length + 1).join(' ');
      expect((await countTokens(simSmall, next)).tokens).toBeGreaterThan(maxTokens);
    }
  });

  it('answers a message of one 400,000-letter word, counting it but not taking it as a topic', async () => {
    const word = 'a'.repeat(400_000);
    const { text, usage } = await ask(chat(`Explain ${word} and tokenizers.`), simSmall, 100_000);
    expect(text).toMatch(/^You asked about explain and tokenizers\. [A-Z]/);
    expect(usage.inputTokens).toBe(
      BigInt((await countChatTokens(simSmall, chat(`Explain ${word} and tokenizers.`))).tokens),
    );
    expect(usage.inputTokens).toBeGreaterThan(50_000n);
    expect(usage.outputTokens).toBe(BigInt((await countTokens(simSmall, text)).tokens));
  });

  it('answers [sim:empty] with no text and 0 output tokens', async () => {
    const { text, usage } = await ask(chat('Say nothing [sim:empty]'));
    expect(text).toBe('');
    expect(usage.outputTokens).toBe(0n);
    expect(usage.inputTokens).toBeGreaterThan(0n);
  });

  it('fails [sim:fail] with a transient provider error', async () => {
    const failure = ask(chat('Fail please [sim:fail]'));
    await expect(failure).rejects.toThrow(ProviderError);
    await expect(failure).rejects.toMatchObject({
      transient: true,
      outage: false,
      message: 'sim: sim-small is unavailable (simulated 503)',
    });
  });

  it('fails [sim:fail=<model>] only for that model', async () => {
    const messages = chat('Which model? [sim:fail=sim-small]');
    await expect(ask(messages, simSmall)).rejects.toThrow(/sim-small is unavailable/);
    await expect(ask(messages, simLarge)).resolves.toMatchObject({ text: expect.any(String) });
  });

  it('reads directives from the last user message only', async () => {
    const earlier = [
      common.ChatMessage.fromPartial({ role: USER, content: '[sim:fail]' }),
      common.ChatMessage.fromPartial({ role: USER, content: 'and now answer' }),
    ];
    await expect(ask(earlier)).resolves.toMatchObject({ text: expect.any(String) });
  });

  it('stops waiting as soon as the attempt is abandoned', async () => {
    const slow = new SimProvider({ latencyMs: 60_000, tokensPerSecond: 0 });
    const abandon = new AbortController();
    const pending = ask(question, simSmall, 512, slow, abandon.signal);
    abandon.abort();
    await expect(pending).rejects.toThrow(/abandoned/);
  });

  it('waits for its latency and generation rate before answering', async () => {
    const paced = new SimProvider({ latencyMs: 5, tokensPerSecond: 10_000 });
    const answered = await ask(question, simSmall, 512, paced);
    expect(answered).toEqual(await ask(question));
  });

  it('finishes with STOP, or with LENGTH when max_tokens cut the answer, and calls no tools', async () => {
    const whole = await ask(question);
    expect(whole).toMatchObject({ finishReason: STOP, toolCalls: [] });
    expect((await ask(question, simSmall, 3)).finishReason).toBe(LENGTH);
  });

  describe('stream', () => {
    const iteratorOf = <T>(chunks: AsyncIterable<T>) => chunks[Symbol.asyncIterator]();
    const chunksOf = async (request: ProviderRequest, provider = instant) => {
      const chunks = [];
      for await (const chunk of provider.stream(request)) chunks.push(chunk);
      return chunks;
    };

    it('streams the same answer as complete() in words, then its finish reason and usage', async () => {
      const whole = await ask(question);
      const chunks = await chunksOf(requestOf(question));
      const texts = chunks.flatMap((chunk) => (chunk.type === 'text' ? [chunk.text] : []));
      expect(texts.length).toBe(whole.text.split(' ').length);
      expect(texts.join('')).toBe(whole.text);
      expect(chunks[chunks.length - 1]).toEqual({
        type: 'end',
        finishReason: STOP,
        usage: whole.usage,
      });
    });

    it('ends a stream cut by max_tokens with LENGTH', async () => {
      const chunks = await chunksOf(requestOf(question, simSmall, 3));
      expect(chunks[chunks.length - 1]).toMatchObject({ type: 'end', finishReason: LENGTH });
    });

    it('fails [sim:fail] before the first chunk', async () => {
      const iterator = iteratorOf(instant.stream(requestOf(chat('Fail please [sim:fail]'))));
      await expect(iterator.next()).rejects.toThrow(/sim-small is unavailable/);
    });

    it('bills a stream abandoned mid-answer for the words it delivered, marked estimated', async () => {
      // 20 tokens a second: a word every 50 ms or so, so the stream is abandoned mid-answer.
      const paced = new SimProvider({ latencyMs: 0, tokensPerSecond: 20 });
      const abandon = new AbortController();
      const iterator = iteratorOf(paced.stream(requestOf(question, simSmall, 512, abandon.signal)));
      const first = await iterator.next();
      const second = await iterator.next();
      abandon.abort();
      const failure = await iterator.next().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      const delivered = [first, second].map((result) => (result.value as { text: string }).text);
      expect(failure).toMatchObject({
        message: 'sim: the call was abandoned',
        outage: false,
        usage: {
          inputTokens: BigInt((await countChatTokens(simSmall, question)).tokens),
          outputTokens: BigInt((await countTokens(simSmall, delivered.join(''))).tokens),
          estimated: true,
        },
      });
    });
  });
});
