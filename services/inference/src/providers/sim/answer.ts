// The sim model's answer: plausible sentences whose words a PRNG seeded with the SHA-256 of the
// model and the conversation picks from the prompt and a small vocabulary. The same
// conversation sent to the same model always gets the same answer.
import { createHash } from 'node:crypto';
import { countTokens } from '@keel/catalog';
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

/** The answer of `model` to `messages`, cut to at most `maxTokens` tokens of the model. */
export function simulatedAnswer(
  model: router.Model,
  messages: common.ChatMessage[],
  maxTokens: number,
): string {
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

/** The longest prefix of `words` that fits in `maxTokens` tokens, found by bisection. */
function withinTokens(model: router.Model, words: string[], maxTokens: number): string {
  const fits = (count: number) => countTokens(model, words.slice(0, count).join(' ')).tokens;
  if (fits(words.length) <= maxTokens) return words.join(' ');
  let low = 0;
  let high = words.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle) <= maxTokens) low = middle;
    else high = middle - 1;
  }
  return words.slice(0, low).join(' ');
}

function topicsOf(prompt: string): string[] {
  const words = prompt.toLowerCase().match(/[a-z][a-z-]{3,}/g) ?? [];
  return [...new Set(words)].slice(0, MAX_TOPICS);
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
