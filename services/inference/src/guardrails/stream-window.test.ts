import type { ProviderChunk } from '../domain/provider';
import { OutputWindow, STREAM_WINDOW_CHARS, checkInWindows, windowedChunks } from './stream-window';

class Blocked extends Error {}

// Small windows keep the character-by-character cases short; the default size is tested apart.
const SIZE = 128;
const HALF = SIZE / 2;

/** A check that blocks any window holding `phrase`, and keeps every window it saw. */
function blocking(phrase: string) {
  const windows: string[] = [];
  const check = (text: string) => {
    windows.push(text);
    if (text.includes(phrase)) throw new Blocked(phrase);
  };
  return { windows, check };
}

const safeWords = (count: number) =>
  Array.from({ length: count }, (_, i) => `word${i}`).join(' ') + ' ';

async function* chunksOf(pieces: string[], returned: { value: boolean }) {
  try {
    for (const text of pieces) yield { type: 'text', text } as ProviderChunk;
    yield { type: 'end', finishReason: 1, usage: undefined } as ProviderChunk;
  } finally {
    returned.value = true;
  }
}

/** Pulls the windowed iterator to its end or its error, collecting the delivered text. */
async function drain(iterator: AsyncIterator<ProviderChunk>) {
  let delivered = '';
  const kinds: string[] = [];
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return { delivered, kinds, error: null };
      kinds.push(next.value.type);
      if (next.value.type === 'text') delivered += next.value.text;
    }
  } catch (error) {
    return { delivered, kinds, error };
  }
}

describe('OutputWindow', () => {
  it('holds text until half a window of new text is checked, and keeps the other half back', () => {
    const { windows, check } = blocking('never');
    const window = new OutputWindow(check, SIZE);
    const text = safeWords(100);
    expect(window.push(text.slice(0, HALF - 1))).toBe('');
    expect(windows).toHaveLength(0);

    const released = window.push(text.slice(HALF - 1));
    expect(windows.length).toBeGreaterThan(1);
    expect(released.length).toBeGreaterThan(0);
    expect(text.startsWith(released)).toBe(true);
    expect(text.length - released.length).toBeGreaterThanOrEqual(HALF);
    expect(released + window.flush()).toBe(text);
  });

  it('by default checks nothing and delivers nothing before half of STREAM_WINDOW_CHARS', () => {
    const { windows, check } = blocking('never');
    const window = new OutputWindow(check);
    const text = safeWords(400);
    expect(window.push(text.slice(0, STREAM_WINDOW_CHARS / 2 - 1))).toBe('');
    expect(windows).toHaveLength(0);
    window.push(text.slice(STREAM_WINDOW_CHARS / 2 - 1));
    expect(windows[0].length).toBeGreaterThan(STREAM_WINDOW_CHARS / 2);
    expect(Math.max(...windows.map((w) => w.length))).toBeLessThanOrEqual(STREAM_WINDOW_CHARS);
  });

  it('sees a phrase split across chunks and window boundaries whole, before any of it is delivered', () => {
    const phrase = 'the forbidden phrase';
    // The phrase at every offset over the first windows, sent a character at a time.
    for (let at = 1; at < 3 * SIZE; at++) {
      const text = 'x'.repeat(at - 1) + ' ' + phrase + ' ' + safeWords(40);
      const { check } = blocking(phrase);
      const window = new OutputWindow(check, SIZE);
      let delivered = '';
      let blocked = false;
      for (const char of text) {
        try {
          delivered += window.push(char);
        } catch (error) {
          if (!(error instanceof Blocked)) throw error;
          blocked = true;
          break;
        }
      }
      if (!blocked) {
        try {
          delivered += window.flush();
        } catch (error) {
          if (!(error instanceof Blocked)) throw error;
          blocked = true;
        }
      }
      expect(blocked).toBe(true);
      expect(delivered).not.toContain('forbid');
    }
  });

  it('never judges a word by its first half: a window ends at a word end', () => {
    const { windows, check } = blocking('never');
    const window = new OutputWindow(check, SIZE);
    const text = safeWords(60);
    window.push(text);
    expect(windows.length).toBeGreaterThan(3);
    for (const checked of windows) {
      expect(checked.length).toBeLessThanOrEqual(SIZE);
      expect(text).toContain(`${checked} `);
    }
  });
});

describe('windowedChunks', () => {
  it('delivers the whole answer, then the end, when every window passes', async () => {
    const returned = { value: false };
    const text = safeWords(300);
    const pieces = text.split(/(?= )/);
    const { check } = blocking('never');
    const result = await drain(windowedChunks(chunksOf(pieces, returned), new OutputWindow(check)));
    expect(result.error).toBeNull();
    expect(result.delivered).toBe(text);
    expect(result.kinds[result.kinds.length - 1]).toBe('end');
  });

  it('releases the text held before a tool call, checked, ahead of the call', async () => {
    const call = { id: 'c1', name: 'lookup', argumentsJson: '{}' };
    async function* withCall() {
      yield { type: 'text', text: 'Let me look that up.' } as ProviderChunk;
      yield { type: 'tool_call', toolCall: call } as ProviderChunk;
      yield { type: 'end', finishReason: 3, usage: undefined } as ProviderChunk;
    }
    const { windows, check } = blocking('never');
    const result = await drain(windowedChunks(withCall(), new OutputWindow(check)));
    expect(result.kinds).toEqual(['text', 'tool_call', 'end']);
    expect(result.delivered).toBe('Let me look that up.');
    expect(windows).toEqual(['Let me look that up.']);
  });

  it("ends with the block, delivering nothing of the blocked window, and closes the provider's stream", async () => {
    const returned = { value: false };
    const text = safeWords(200) + 'and now the forbidden phrase appears ' + safeWords(200);
    const { check } = blocking('forbidden');
    const window = new OutputWindow(check);
    const result = await drain(windowedChunks(chunksOf(text.split(/(?= )/), returned), window));
    expect(result.error).toBeInstanceOf(Blocked);
    expect(result.delivered.length).toBeGreaterThan(0);
    expect(result.delivered).not.toContain('forbidden');
    expect(result.delivered + window.held).toContain('forbidden');
    expect(returned.value).toBe(true);
  });
});

describe('checkInWindows', () => {
  const text = safeWords(120);

  it('reads the whole text in windows of the size asked for, each word whole in one of them', () => {
    const windows: string[] = [];
    checkInWindows(
      text,
      (window) => {
        windows.push(window);
        return 'go';
      },
      SIZE,
    );
    expect(windows.length).toBeGreaterThan(3);
    expect(Math.max(...windows.map((w) => w.length))).toBeLessThanOrEqual(SIZE);
    for (const word of text.trim().split(' ')) {
      expect(windows.some((w) => w.split(/\s+/).includes(word))).toBe(true);
    }
  });

  it('reads a text shorter than a window as one window', () => {
    const windows: string[] = [];
    checkInWindows('short text', (window) => {
      windows.push(window);
      return 'go';
    });
    expect(windows).toEqual(['short text']);
  });

  it('stops at the window the check stops at', () => {
    let calls = 0;
    checkInWindows(
      text,
      (window) => {
        calls += 1;
        return window.includes('word30') ? 'stop' : 'go';
      },
      SIZE,
    );
    const all: string[] = [];
    checkInWindows(
      text,
      (window) => {
        all.push(window);
        return 'go';
      },
      SIZE,
    );
    expect(calls).toBe(all.findIndex((w) => w.includes('word30')) + 1);
    expect(calls).toBeLessThan(all.length);
  });
});
