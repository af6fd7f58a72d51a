// The model's side of a request: a recorded response (replay), a tool call, or a generated
// answer seeded with the conversation, cut by stop sequences and the token limit, with its usage.
import { type Conversation, type JsonSchema, type ToolSpec, toolToCall } from './conversation';
import { withoutDirectives } from './directives';
import { digestOf, randomFromText } from './random';
import type { Replay } from './replay';
import { promptTokens, tokensOf, turnTokens } from './tokens';

export interface Usage {
  inputTokens: number;
  /** Output tokens, reasoning tokens included. */
  outputTokens: number;
  /** Input tokens read from the prompt cache (part of `inputTokens`). */
  cachedTokens: number;
  reasoningTokens: number;
}

export type Reply =
  | {
      kind: 'text';
      text: string;
      /** `text` in the deltas a stream sends: each word with the whitespace before it. */
      pieces: string[];
      finish: 'stop' | 'length' | 'stop_sequence';
      stopSequence?: string;
      usage: Usage;
    }
  | {
      kind: 'tool';
      /** Stable for the conversation; each format adds its own prefix. */
      callId: string;
      name: string;
      arguments: string;
      /** `arguments` in the pieces a stream sends. */
      pieces: string[];
      usage: Usage;
    };

/** A replay model asked a prompt its file does not record. */
export class ReplayMissError extends Error {}

export interface AnswerContext {
  replay: Replay;
  /** Replay model name → the record field holding its response. */
  replayModels: Readonly<Record<string, string>>;
  /** Conversations answered before: a repeat reads its prefix from the prompt cache. */
  answered: Set<string>;
}

// Models named like `*-reasoning` think before answering, within the same token limit.
const REASONING_MODEL = /-reasoning$/;
const MAX_REASONING_TOKENS = 32;

const VOCABULARY = [
  'the', 'a', 'this', 'that', 'it', 'is', 'can', 'will', 'should', 'usually', 'often', 'depends',
  'on', 'with', 'for', 'when', 'because', 'so', 'and', 'then', 'first', 'next', 'finally',
  'check', 'make', 'sure', 'step', 'setting', 'result', 'case', 'option', 'answer', 'request',
  'simple', 'clear', 'likely', 'best', 'approach', 'works', 'well', 'here', 'your', 'you', 'we',
]; // prettier-ignore

export async function answer(
  conversation: Conversation,
  context: AnswerContext,
  directiveTool?: string,
  /** The text a `[sim:reply]` directive scripts, answered instead of a recorded or made-up one. */
  directiveReply?: string,
): Promise<Reply> {
  const key = JSON.stringify([conversation.model, conversation.turns, conversation.tools]);
  const usage = await inputUsage(conversation, context.answered.has(key));
  context.answered.add(key);
  const reasoning = REASONING_MODEL.test(conversation.model)
    ? Math.min(MAX_REASONING_TOKENS, Math.floor(conversation.maxTokens / 2))
    : 0;
  usage.reasoningTokens = reasoning;

  const tool = toolToCall(conversation, directiveTool);
  if (tool) {
    const args = JSON.stringify(argumentsFor(tool, conversation));
    usage.outputTokens = reasoning + (await tokensOf(tool.name + args));
    return {
      kind: 'tool',
      callId: digestOf(key),
      name: tool.name,
      arguments: args,
      pieces: args.match(/[\s\S]{1,8}/g) ?? [],
      usage,
    };
  }

  const field = context.replayModels[conversation.model];
  const recorded =
    field === undefined || directiveReply !== undefined
      ? undefined
      : await context.replay.responseTo(withoutDirectives(conversation.lastUserText), field);
  if (recorded === null) {
    throw new ReplayMissError(
      `model ${conversation.model} has no recorded response to this prompt in ${context.replay.file}`,
    );
  }
  const full = directiveReply ?? recorded?.text ?? generatedText(conversation);
  const cut = await cutText(full, conversation.stop, conversation.maxTokens - reasoning);
  const whole = cut.finish === 'stop' && recorded?.outputTokens !== undefined;
  usage.outputTokens = reasoning + (whole ? recorded.outputTokens! : cut.tokens);
  return { kind: 'text', ...cut, usage };
}

async function inputUsage(conversation: Conversation, repeated: boolean): Promise<Usage> {
  const { turns, tools } = conversation;
  const inputTokens = await promptTokens(turns, tools.length > 0 ? JSON.stringify(tools) : '');
  // A repeat finds everything but its last turn in the prompt cache.
  const last = turns[turns.length - 1];
  const cachedTokens = repeated && last ? inputTokens - (await turnTokens(last)) : 0;
  return { inputTokens, outputTokens: 0, cachedTokens, reasoningTokens: 0 };
}

interface CutText {
  text: string;
  pieces: string[];
  tokens: number;
  finish: 'stop' | 'length' | 'stop_sequence';
  stopSequence?: string;
}

/** `text` up to its first stop sequence, then to the longest run of words within `maxTokens`. */
async function cutText(text: string, stop: string[], maxTokens: number): Promise<CutText> {
  let finish: CutText['finish'] = 'stop';
  let stopSequence: string | undefined;
  for (const sequence of stop) {
    const at = text.indexOf(sequence);
    if (at === -1) continue;
    text = text.slice(0, at);
    [finish, stopSequence] = ['stop_sequence', sequence];
  }
  let pieces = piecesOf(text);
  let tokens = await tokensOf(text);
  if (tokens > maxTokens) {
    // Binary search on the number of words: a longer prefix never has fewer tokens.
    let [fits, over] = [0, pieces.length];
    while (over - fits > 1) {
      const middle = Math.floor((fits + over) / 2);
      if ((await tokensOf(pieces.slice(0, middle).join(''))) <= maxTokens) fits = middle;
      else over = middle;
    }
    pieces = pieces.slice(0, fits);
    text = pieces.join('');
    tokens = await tokensOf(text);
    [finish, stopSequence] = ['length', undefined];
  }
  return { text, pieces, tokens, finish, stopSequence };
}

/** Each word with the whitespace before it; joined, the pieces are `text`. */
function piecesOf(text: string): string[] {
  return text.length === 0 ? [] : text.split(/(?<=\S)(?=\s)/);
}

/**
 * Plausible sentences whose words a PRNG seeded with the conversation picks from the prompt
 * and a small vocabulary; an answer to tool results quotes them first.
 */
function generatedText(conversation: Conversation): string {
  const random = randomFromText(
    JSON.stringify([
      conversation.model,
      conversation.turns,
      conversation.temperature,
      conversation.topP,
    ]),
  );
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const topics = topicsOf(withoutDirectives(conversation.lastUserText));
  const sentences = conversation.toolResults.map((result) => `The tool returned ${result}.`);
  if (topics.length > 0) sentences.push(`You asked about ${listed(topics.slice(0, 3))}.`);
  const count = 2 + Math.floor(random() * 3);
  for (let s = 0; s < count; s++) {
    const length = 6 + Math.floor(random() * 7);
    const words = Array.from({ length }, () =>
      topics.length > 0 && random() < 0.25 ? pick(topics) : pick(VOCABULARY),
    );
    const sentence = words.join(' ');
    sentences.push(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`);
  }
  const text = sentences.join(' ');
  return conversation.json ? JSON.stringify({ answer: text }) : text;
}

function topicsOf(prompt: string): string[] {
  const topics = new Set<string>();
  for (const [word] of prompt.toLowerCase().matchAll(/[a-z][a-z-]{3,31}/g)) {
    topics.add(word);
    if (topics.size === 6) break;
  }
  return [...topics];
}

function listed(items: string[]): string {
  return items.length === 1
    ? items[0]
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Arguments matching the tool's schema; strings are the prompt's last word. */
function argumentsFor(tool: ToolSpec, conversation: Conversation): unknown {
  const words = withoutDirectives(conversation.lastUserText).match(/[A-Za-z]{3,}/g) ?? [];
  const word = words[words.length - 1] ?? 'sim';
  const valueOf = (schema: JsonSchema): unknown => {
    if (schema.enum && schema.enum.length > 0) return schema.enum[0];
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'string':
        return word;
      case 'number':
      case 'integer':
        return 42;
      case 'boolean':
        return true;
      case 'array':
        return schema.items ? [valueOf(schema.items)] : [];
      case 'null':
        return null;
      default:
        return Object.fromEntries(
          Object.entries(schema.properties ?? {}).map(([name, property]) => [
            name,
            valueOf(property),
          ]),
        );
    }
  };
  return valueOf({ ...tool.parameters, type: 'object' });
}
