import { decode, encode } from 'gpt-tokenizer';
import { chunkDocument } from './chunking';

const settings = { maxTokens: 16, overlapTokens: 4, splitMarkdownHeadings: false };

describe('chunkDocument', () => {
  it('keeps a text shorter than a chunk whole', () => {
    expect(chunkDocument('  Short text.  ', false, settings)).toEqual([
      { ordinal: 0, text: 'Short text.', tokenCount: 3, headings: [] },
    ]);
  });

  it('cuts a long text into chunks of at most max tokens, each repeating the overlap', () => {
    const text = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkDocument(text, false, settings);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(16);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
    // Chunk 1 begins with the last 4 tokens of chunk 0.
    const overlap = decode(encode(text).slice(12, 16)).trim();
    expect(chunks[0].text.endsWith(overlap)).toBe(true);
    expect(chunks[1].text.startsWith(overlap)).toBe(true);
    expect(chunks.at(-1)?.text.endsWith('word29')).toBe(true);
  });

  it('splits Markdown at headings when asked, each chunk carrying its heading path', () => {
    const text =
      'Intro.\n\n# Setup\n\nInstall it.\n\n```\n# a comment, not a heading\n```\n\n## Linux\n\nUse apt.\n\n# Usage\n\nRun it.';
    const chunks = chunkDocument(text, true, { ...settings, splitMarkdownHeadings: true });
    expect(chunks.map((c) => [c.headings, c.text])).toEqual([
      [[], 'Intro.'],
      [['Setup'], 'Install it.\n\n```\n# a comment, not a heading\n```'],
      [['Setup', 'Linux'], 'Use apt.'],
      [['Usage'], 'Run it.'],
    ]);
  });

  it('leaves Markdown whole when heading splits are off', () => {
    const chunks = chunkDocument('# A\n\ntext', true, settings);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].headings).toEqual([]);
  });
});
