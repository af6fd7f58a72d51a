// The sim model's answer: plausible sentences whose words a PRNG seeded with the SHA-256 of the
// model and the conversation picks from the prompt and a small vocabulary. The same
// conversation sent to the same model always gets the same answer.
import { createHash } from 'node:crypto';
import { type TokenCount, countTokens } from '@keel/catalog';
import type { common, router } from '@keel/contracts';
import { promptOf } from './directives';

const VOCABULARY = [
  'the', 'a', 'this', 'that', 'it', 'is', 'can', 'will', 'should', 'usually', 'often', 'depends',
  'on', 'with', 'for', 'when', 'because', 'so', 'and', 'then', 'first', 'next', 'finally',
  'check', 'make', 'sure', 'step', 'setting', 'result', 'case', 'option', 'answer', 'request',
  'simple', 'clear', 'likely', 'best', 'approach', 'works', 'well', 'here', 'your', 'you', 'we',
  'recommend', 'try', 'data', 'value', 'change', 'keep', 'most', 'cases', 'worth', 'noting',
]; // prettier-ignore

const MAX_TOPICS = 6;
// A longer run of letters is not a word to talk about: repeated through the answer, a
// 400,000-letter one would make an answer of megabytes only to cut it to max_tokens.
const MAX_TOPIC_CHARS = 32;

export interface SimulatedAnswer {
  text: string;
  /** The tokens of `text` for the model. */
  tokens: TokenCount;
  /** True when max_tokens cut the answer short. */
  cut: boolean;
}

/** The answer of `model` to `messages`, cut to at most `maxTokens` tokens of the model. */
export function simulatedAnswer(
  model: router.Model,
  messages: common.ChatMessage[],
  maxTokens: number,
): Promise<SimulatedAnswer> {
  const random = seededRandom(model.name, messages);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const topics = topicsOf(promptOf(messages));

  const sentences: string[] = [];
  if (topics.length > 0) sentences.push(`You asked about ${listed(topics.slice(0, 3))}.`);
  const count = 2 + Math.floor(random() * 4);
  for (let s = 0; s < count; s++) {
    const length = 6 + Math.floor(random() * 9);
    const words: string[] = [];
    for (let w = 0; w < length; w++) {
      words.push(topics.length > 0 && random() < 0.25 ? pick(topics) : pick(VOCABULARY));
    }
    sentences.push(`${capitalized(words.join(' '))}.`);
  }
  return withinTokens(model, sentences.join(' ').split(' '), maxTokens);
}

/**
 * The longest prefix of `words` that fits in `maxTokens` tokens. Every word starts with a
 * letter, so each word after the first begins a piece of the tokenizer's split (" word") and
 * a prefix's exact count is the sum of its words' counts: each distinct word is counted once,
 * and only the prefix chosen is counted whole, to check the sum.
 */
async function withinTokens(
  model: router.Model,
  words: string[],
  maxTokens: number,
): Promise<SimulatedAnswer> {
  const counts = new Map<string, Promise<TokenCount>>();
  const countOnce = (piece: string) => {
    const count = counts.get(piece) ?? countTokens(model, piece);
    counts.set(piece, count);
    return count;
  };
  const wordCounts = await Promise.all(
    words.map((word, i) => countOnce(i > 0 ? ` ${word}` : word)),
  );
  let fitting = 0;
  for (let sum = 0; fitting < words.length; fitting += 1) {
    sum += wordCounts[fitting].tokens;
    if (sum > maxTokens) break;
  }
  const prefix = async (length: number): Promise<SimulatedAnswer> => {
    const text = words.slice(0, length).join(' ');
    return { text, tokens: await countTokens(model, text), cut: length < words.length };
  };
  let answer = await prefix(fitting);
  while (answer.tokens.tokens > maxTokens) answer = await prefix((fitting -= 1));
  // An estimate (ceil(chars / 4)) of the whole is below the sum of its words' estimates.
  while (answer.tokens.estimated && fitting < words.length) {
    const longer = await prefix(fitting + 1);
    if (longer.tokens.tokens > maxTokens) break;
    answer = longer;
    fitting += 1;
  }
  return answer;
}

/** The first distinct words of the prompt, read only as far as needed. */
function topicsOf(prompt: string): string[] {
  const topics = new Set<string>();
  for (const [word] of prompt.toLowerCase().matchAll(/[a-z][a-z-]{3,}/g)) {
    if (topics.size === MAX_TOPICS) break;
    if (word.length <= MAX_TOPIC_CHARS) topics.add(word);
  }
  return [...topics];
}

function listed(items: string[]): string {
  return items.length === 1
    ? items[0]
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** sfc32, seeded with the first 16 bytes of the conversation's SHA-256: uniform in [0, 1). */
function seededRandom(modelName: string, messages: common.ChatMessage[]): () => number {
  const digest = createHash('sha256')
    .update(JSON.stringify([modelName, messages.map((m) => [m.role, m.content])]))
    .digest();
  let [a, b, c, d] = [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
