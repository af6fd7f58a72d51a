// A stream's output under a blocking check is read in windows, so that text can be delivered
// before the answer ends. A window of `size` characters holds up to size / 2 already-checked
// characters (the overlap) followed by up to size / 2 new ones, and ends at a word's end, so a
// word is never judged by its first half. The classifier judges whole documents: the larger the
// window, the nearer its judgement to the whole answer's (moderation-eval's --windowed measures
// it), and the longer the first delta waits.
//
// Text is held until checked and released only up to the overlap before the end of what was
// checked: the next window starts where delivery stopped, so an unsafe phrase as long as the
// overlap lies whole inside a window checked before any of it is delivered, wherever the chunks
// split it.
import type { ProviderChunk } from '../domain/provider';

/**
 * The size of a stream's windows: the first delta waits for this many characters (some 130
 * tokens). Against judging whole texts, 512 loses about half what 128 loses (README, Guardrails).
 */
export const STREAM_WINDOW_CHARS = 512;
/** How far a window's edge moves back to fall between words. */
const WORD_SLACK = 24;

/** Checks a window; throws to block it. */
export type WindowCheck = (text: string) => void;

/** The text held back from delivery, and what is released as checks pass. */
export class OutputWindow {
  /** Generated, not yet delivered: its first `checked` characters passed a check. */
  private pending = '';
  private checked = 0;
  /** How far a window reaches back into checked text, and what is held after a check. */
  private readonly overlap: number;
  /** New characters that make a window. */
  private readonly fresh: number;

  constructor(
    private readonly check: WindowCheck,
    size = STREAM_WINDOW_CHARS,
  ) {
    this.overlap = Math.floor(size / 2);
    this.fresh = size - this.overlap;
  }

  /** Takes a piece of text; returns what may be delivered now ('' when nothing). */
  push(text: string): string {
    this.pending += text;
    if (this.pending.length - this.checked < this.fresh) return '';
    const release = this.advance(false);
    const released = this.pending.slice(0, release);
    this.pending = this.pending.slice(release);
    this.checked -= release;
    return released;
  }

  /** The answer ended (or a tool call follows): checks and returns everything held. */
  flush(): string {
    this.advance(true);
    const released = this.pending;
    this.pending = '';
    this.checked = 0;
    return released;
  }

  /** What was generated and not delivered: after a block, what the caller never saw. */
  get held(): string {
    return this.pending;
  }

  /**
   * Checks windows until less than a window of new text is left (or, `final`, none); returns
   * where delivery may stop.
   */
  private advance(final: boolean): number {
    const { pending } = this;
    let start = 0;
    while (final ? pending.length > this.checked : pending.length - this.checked >= this.fresh) {
      const max = Math.min(pending.length, start + this.overlap + this.fresh);
      const end = final && max === pending.length ? max : wordEnd(pending, max, this.checked);
      this.check(pending.slice(start, end));
      this.checked = end;
      start = Math.max(start, wordEnd(pending, end - this.overlap, start));
    }
    return start;
  }
}

/**
 * Checks `text` window by window, as a stream's output is checked, until `check` says stop: what
 * the windows' size does to the classifier's judgement is measured through this.
 */
export function checkInWindows(
  text: string,
  check: (window: string) => 'stop' | 'go',
  size = STREAM_WINDOW_CHARS,
): void {
  let stopped = false;
  const window = new OutputWindow((piece) => {
    if (!stopped && check(piece) === 'stop') stopped = true;
  }, size);
  window.push(text);
  if (!stopped) window.flush();
}

/**
 * `at`, or the whitespace just before it (the end of the word before it) when one is near and
 * after `after`: a window's edge.
 */
function wordEnd(text: string, at: number, after: number): number {
  for (let i = at; i > after && i >= at - WORD_SLACK; i--) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 10 || code === 9 || code === 13) return i;
  }
  return at;
}

/**
 * The provider's chunks with their text passed through `window`: text comes out as it is
 * released, tool calls and the end after everything before them was checked. A check that
 * throws ends the iterator with its error, after closing the provider's stream.
 */
export function windowedChunks(
  chunks: AsyncIterator<ProviderChunk>,
  window: OutputWindow,
): AsyncIterator<ProviderChunk> {
  const queue: ProviderChunk[] = [];
  let failure: { error: unknown } | null = null;
  let finished = false;
  const close = () => void chunks.return?.();
  const release = (text: string) => {
    if (text !== '') queue.push({ type: 'text', text });
  };

  const fill = async (): Promise<void> => {
    while (queue.length === 0) {
      if (failure) throw failure.error;
      if (finished) return;
      let next: IteratorResult<ProviderChunk>;
      try {
        next = await chunks.next();
      } catch (error) {
        // The provider failed: what was held and passes its check is still delivered first.
        failure = { error };
        release(window.flush());
        continue;
      }
      if (next.done) {
        finished = true;
        release(window.flush());
      } else if (next.value.type === 'text') {
        release(window.push(next.value.text));
      } else {
        release(window.flush());
        queue.push(next.value);
        if (next.value.type === 'end') finished = true;
      }
    }
  };

  return {
    next: async () => {
      try {
        await fill();
      } catch (error) {
        if (!failure) close(); // a check blocked: the provider's stream is not needed any more
        throw error;
      }
      const chunk = queue.shift();
      return chunk ? { done: false, value: chunk } : { done: true, value: undefined };
    },
    return: async () => {
      close();
      return { done: true, value: undefined };
    },
  };
}
