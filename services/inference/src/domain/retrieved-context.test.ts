import { common } from '@keel/contracts';
import {
  MIN_TRIMMED_TOKENS,
  fitContext,
  renderContext,
  retrievalQuery,
  withContext,
} from './retrieved-context';

// One token a word: easy to reason about, and what the budget logic needs of a tokenizer.
const countWords = async (text: string) => text.split(/\s+/).filter(Boolean).length;
const words = (n: number, word: string) => Array.from({ length: n }, () => word).join(' ');

const passages = [
  { chunkId: 'a#0', text: words(30, 'alpha') },
  { chunkId: 'b#0', text: words(30, 'beta') },
  { chunkId: 'c#0', text: words(30, 'gamma') },
];
const header = renderContext([]);
const headerTokens = header.split(/\s+/).length;

describe('fitContext', () => {
  it('keeps every passage, numbered in order, when they fit: nothing saved', async () => {
    const fitted = await fitContext('handbook', passages, 1_000, countWords);
    expect(fitted.rendered).toBe(renderContext(passages.map((p) => p.text)));
    expect(fitted.rendered).toContain('[1] alpha');
    expect(fitted.rendered).toContain('[3] gamma');
    expect(fitted.recorded).toMatchObject({
      collection: 'handbook',
      chunkIds: ['a#0', 'b#0', 'c#0'],
      chunksRetrieved: 3,
      renderedContext: fitted.rendered,
    });
    expect(fitted.recorded.contextTokens).toBe(fitted.recorded.retrievedTokens);
  });

  it('drops the least relevant passages and trims the last kept to the budget', async () => {
    // Room for the first passage whole and about half the second.
    const budget = headerTokens + 31 + 20;
    const fitted = await fitContext('handbook', passages, budget, countWords);
    expect(fitted.recorded.chunkIds).toEqual(['a#0', 'b#0']);
    expect(fitted.recorded.contextTokens).toBeLessThanOrEqual(BigInt(budget));
    expect(fitted.recorded.contextTokens).toBeGreaterThan(BigInt(budget - 3));
    expect(fitted.rendered).toContain(`[1] ${passages[0].text}`);
    expect(fitted.rendered).toMatch(/\[2\] (beta ){10,}beta …$/);
    expect(fitted.rendered).not.toContain('gamma');
    expect(fitted.recorded.retrievedTokens).toBe(
      BigInt(await countWords(renderContext(passages.map((p) => p.text)))),
    );
  });

  it('drops a passage that could keep only a few words rather than trim it to them', async () => {
    const budget = headerTokens + 31 + MIN_TRIMMED_TOKENS - 5;
    const fitted = await fitContext('handbook', passages, budget, countWords);
    expect(fitted.recorded.chunkIds).toEqual(['a#0']);
  });

  it('renders nothing when not even the first passage fits, and records what was retrieved', async () => {
    const fitted = await fitContext('handbook', passages, headerTokens + 3, countWords);
    expect(fitted.rendered).toBe('');
    expect(fitted.recorded.chunkIds).toEqual([]);
    expect(fitted.recorded.contextTokens).toBe(0n);
    expect(fitted.recorded.chunksRetrieved).toBe(3);
  });

  it('renders nothing for no passages', async () => {
    const fitted = await fitContext('handbook', [], 100, countWords);
    expect(fitted.rendered).toBe('');
    expect(fitted.recorded.retrievedTokens).toBe(0n);
  });
});

describe('the question and the messages', () => {
  const { MESSAGE_ROLE_USER: USER, MESSAGE_ROLE_ASSISTANT: ASSISTANT } = common.MessageRole;
  const message = (role: common.MessageRole, content: string) =>
    common.ChatMessage.fromPartial({ role, content });

  it('searches for the last user message', () => {
    const messages = [message(USER, 'first'), message(ASSISTANT, 'reply'), message(USER, 'last')];
    expect(retrievalQuery(messages)).toBe('last');
    expect(retrievalQuery([message(ASSISTANT, 'only')])).toBe('');
  });

  it('puts the context first as a system message, and adds nothing without one', () => {
    const messages = [message(USER, 'question')];
    expect(withContext('', messages)).toBe(messages);
    const asked = withContext('[1] passage', messages);
    expect(asked.map((m) => m.role)).toEqual([common.MessageRole.MESSAGE_ROLE_SYSTEM, USER]);
    expect(asked[0].content).toBe('[1] passage');
  });
});
