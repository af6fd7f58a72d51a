// Retrieved passages as the model receives them: a system message with numbered passages, put
// before the request's messages, fitted into the function's token budget. Passages come most
// relevant first; the least relevant are dropped, and the last one kept may be trimmed, so the
// rendered message never exceeds the budget in the routed model's tokens.
import { common, inference } from '@keel/contracts';

/** One retrieved chunk, as ranked by retrieval. */
export interface Passage {
  chunkId: string;
  text: string;
}

/** Tokens of a text in the routed model's tokenizer. */
export type CountTokens = (text: string) => Promise<number>;

/** A trimmed passage shorter than this is dropped instead: a few words ground nothing. */
export const MIN_TRIMMED_TOKENS = 16;

const HEADER =
  'Answer from the numbered passages below when they hold the answer; cite them as [n].';

export function renderContext(passages: readonly string[]): string {
  return [HEADER, ...passages.map((text, i) => `[${i + 1}] ${text.trim()}`)].join('\n\n');
}

export interface FittedContext {
  /** The rendered system message; empty when no passage fits. */
  rendered: string;
  recorded: inference.RetrievedContext;
}

/**
 * The passages that fit `maxTokens` once rendered, most relevant first. `retrievedTokens` is
 * what rendering every passage would have taken, so `retrievedTokens - contextTokens` is what
 * the budget saved.
 */
export async function fitContext(
  collection: string,
  passages: readonly Passage[],
  maxTokens: number,
  count: CountTokens,
): Promise<FittedContext> {
  const all = renderContext(passages.map((p) => p.text));
  const retrievedTokens = passages.length === 0 ? 0 : await count(all);
  let kept: Passage[] = [];
  let rendered = '';
  if (retrievedTokens <= maxTokens) {
    kept = [...passages];
    rendered = passages.length === 0 ? '' : all;
  } else {
    for (const passage of passages) {
      const withWhole = renderContext([...kept, passage].map((p) => p.text));
      if ((await count(withWhole)) <= maxTokens) {
        kept.push(passage);
        rendered = withWhole;
        continue;
      }
      const trimmed = await trimToFit(kept, passage, maxTokens, count);
      if (trimmed) {
        kept.push(trimmed.passage);
        rendered = trimmed.rendered;
      }
      break;
    }
    if (kept.length === 0) rendered = '';
  }
  return {
    rendered,
    recorded: inference.RetrievedContext.fromPartial({
      collection,
      chunkIds: kept.map((p) => p.chunkId),
      chunksRetrieved: passages.length,
      retrievedTokens: BigInt(retrievedTokens),
      contextTokens: BigInt(rendered === '' ? 0 : await count(rendered)),
      renderedContext: rendered,
    }),
  };
}

/**
 * The longest word-boundary prefix of `passage` that fits after `kept` (found by halving), or
 * null when what fits is under MIN_TRIMMED_TOKENS.
 */
async function trimToFit(
  kept: readonly Passage[],
  passage: Passage,
  maxTokens: number,
  count: CountTokens,
): Promise<{ passage: Passage; rendered: string } | null> {
  const words = passage.text.trim().split(/\s+/);
  const render = (n: number) =>
    renderContext([...kept.map((p) => p.text), `${words.slice(0, n).join(' ')} …`]);
  let low = 0;
  let high = words.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((await count(render(middle))) <= maxTokens) low = middle;
    else high = middle - 1;
  }
  if (low === 0) return null;
  const text = `${words.slice(0, low).join(' ')} …`;
  if ((await count(text)) < MIN_TRIMMED_TOKENS) return null;
  return { passage: { chunkId: passage.chunkId, text }, rendered: render(low) };
}

/** The question retrieval searches for: the last user message's text; empty when there is none. */
export function retrievalQuery(messages: readonly common.ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    if (messages[i].role === common.MessageRole.MESSAGE_ROLE_USER) return messages[i].content;
  }
  return '';
}

/** The messages a model is asked with: the context's system message first, when there is one. */
export function withContext(
  rendered: string,
  messages: common.ChatMessage[],
): common.ChatMessage[] {
  if (rendered === '') return messages;
  const system = common.ChatMessage.fromPartial({
    role: common.MessageRole.MESSAGE_ROLE_SYSTEM,
    content: rendered,
  });
  return [system, ...messages];
}
