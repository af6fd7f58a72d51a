// Usage a provider did not report (a stream that ended without it, or broke off): counted with
// the catalog's tokenizer from the request's messages and what the provider had generated, and
// marked estimated, so a call is never billed as zero.
import { countChatTokens, countTokens } from '@keel/catalog';
import { common, type router } from '@keel/contracts';

export interface ReportedInput {
  inputTokens: bigint;
  cachedInputTokens: bigint;
}

/**
 * `generated` is every piece of text the provider sent: the answer's text and its tool calls'
 * names and arguments. `reported` is the input the provider had already reported, if it had.
 */
export async function countedUsage(
  model: router.Model,
  messages: common.ChatMessage[],
  generated: string,
  reported?: ReportedInput,
): Promise<common.Usage> {
  const [input, output] = await Promise.all([
    reported ? undefined : countChatTokens(model, messages),
    countTokens(model, generated),
  ]);
  return common.Usage.fromPartial({
    inputTokens: reported?.inputTokens ?? BigInt(input?.tokens ?? 0),
    cachedInputTokens: reported?.cachedInputTokens ?? 0n,
    outputTokens: BigInt(output.tokens),
    estimated: true,
  });
}
