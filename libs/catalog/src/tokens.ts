import { availableParallelism } from 'node:os';
import path from 'node:path';
import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { Piscina } from 'piscina';
import type { CountTask } from './count-worker';
import { countInEncoding, isKnownEncoding } from './encodings';

export interface TokenCount {
  tokens: number;
  /** True when no exact tokenizer is known for the model and the count is ceil(chars / 4). */
  estimated: boolean;
}

// Counting runs at about 3 characters a microsecond, slower on adversarial runs: texts up to
// this long in all are counted at once (well under a millisecond), longer ones on a worker
// thread, so one large request never holds up the event loop that every request shares.
const INLINE_CHARS = 2048;

let workers: Piscina<CountTask, number[]> | undefined;

// OpenAI's published accounting for chat completions: every message costs 3 tokens on top of
// its role and content, and every reply is primed with 3 more.
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

const ROLE_NAMES: Partial<Record<common.MessageRole, string>> = {
  [common.MessageRole.MESSAGE_ROLE_SYSTEM]: 'system',
  [common.MessageRole.MESSAGE_ROLE_USER]: 'user',
  [common.MessageRole.MESSAGE_ROLE_ASSISTANT]: 'assistant',
  [common.MessageRole.MESSAGE_ROLE_TOOL]: 'tool',
};

/**
 * The tokens of `text` for `model`: exact when `model.tokenizer` names an encoding Keel knows
 * (o200k_base, cl100k_base), else estimated as ceil(UTF-16 code units / 4). Text that looks
 * like a special token (`<|endoftext|>`) counts as ordinary text, as a provider counts it.
 * An unbroken run of over 128 characters is counted in 128-character chunks, which keeps the
 * time linear; such a run may count differently than the provider counts it whole.
 */
export async function countTokens(model: router.Model, text: string): Promise<TokenCount> {
  const encoding = model.tokenizer;
  if (!isKnownEncoding(encoding)) return { tokens: estimate(text), estimated: true };
  const [tokens] = await countAll(encoding, [text]);
  return { tokens, estimated: false };
}

/**
 * The prompt tokens of a chat: 3 per message + its role + its content (and the tool calls it
 * made), and 3 to prime the reply.
 */
export async function countChatTokens(
  model: router.Model,
  messages: common.ChatMessage[],
): Promise<TokenCount> {
  const texts = messages.flatMap((message, i) => {
    const role = ROLE_NAMES[message.role];
    if (!role) throw new InvalidArgumentError(`messages[${i}].role`, 'must be set');
    // A tool call the assistant made counts as its name and its arguments' text.
    const calls = message.toolCalls.flatMap((call) => [call.name, call.argumentsJson]);
    return [role, message.content, ...calls];
  });
  const encoding = model.tokenizer;
  const estimated = messages.length > 0 && !isKnownEncoding(encoding);
  const counts = estimated ? texts.map(estimate) : await countAll(encoding, texts);
  const overhead = REPLY_PRIMING_TOKENS + TOKENS_PER_MESSAGE * messages.length;
  return { tokens: counts.reduce((sum, count) => sum + count, overhead), estimated };
}

function estimate(text: string): number {
  return Math.ceil(text.length / 4);
}

async function countAll(encoding: string, texts: string[]): Promise<number[]> {
  const chars = texts.reduce((sum, text) => sum + text.length, 0);
  if (chars <= INLINE_CHARS) return texts.map((text) => countInEncoding(encoding, text));
  return workerPool().run({ encoding, texts });
}

// One thread fewer than the cores, so the event loop keeps one; started on first use and
// ended when idle, so a process that never counts a long text never starts one.
function workerPool(): Piscina<CountTask, number[]> {
  if (workers) return workers;
  workers = new Piscina<CountTask, number[]>({
    filename: path.join(__dirname, 'count-worker.ts'),
    // The thread loads the TypeScript source, whether or not this process runs under tsx.
    execArgv: ['--require', require.resolve('tsx/cjs')],
    maxThreads: Math.max(1, availableParallelism() - 1),
    idleTimeout: 60_000,
  });
  // A thread that fails mid-count fails that count's promise, so its caller sees the error;
  // the pool reports a failure with no count in flight here, where no request is affected.
  workers.on('error', () => {});
  return workers;
}
