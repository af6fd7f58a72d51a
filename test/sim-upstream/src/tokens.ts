// Token counts in o200k_base, Keel's own counter, so the usage the sim reports is honest.
import { countTokens } from '@keel/catalog';
import { router } from '@keel/contracts';
import type { Turn } from './conversation';

const COUNTING_MODEL = router.Model.fromPartial({ tokenizer: 'o200k_base' });

// OpenAI's published accounting for chat completions: every message costs 3 tokens on top of
// its role and content, and every reply is primed with 3 more.
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

export async function tokensOf(text: string): Promise<number> {
  return (await countTokens(COUNTING_MODEL, text)).tokens;
}

/** The prompt tokens of one turn: its role, its text and the per-message overhead. */
export async function turnTokens(turn: Turn): Promise<number> {
  return TOKENS_PER_MESSAGE + (await tokensOf(turn.role)) + (await tokensOf(turn.text));
}

/** The prompt tokens of a conversation, the tools it offers (as JSON) included. */
export async function promptTokens(turns: Turn[], toolsJson: string): Promise<number> {
  const counts = await Promise.all(turns.map(turnTokens));
  const tools = toolsJson.length > 0 ? await tokensOf(toolsJson) : 0;
  return counts.reduce((sum, count) => sum + count, REPLY_PRIMING_TOKENS + tools);
}
