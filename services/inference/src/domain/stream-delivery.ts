// Delivering a stream: each chunk the provider sends is passed on as it arrives, and what was
// delivered is kept, so that a stream cut short (by the provider or by the caller) is still
// recorded and billed for what it generated.
import { countChatTokens, countTokens } from '@keel/catalog';
import { common, inference, type router } from '@keel/contracts';
import { ProviderError, type ProviderChunk } from './provider';
import {
  type ChainOutcome,
  type OpenedStream,
  type ServedAnswer,
  attemptOf,
  chainCost,
} from './fallback';

/** One delta of the answer as the caller receives it. */
export type Delta = { text: string } | { toolCall: common.ToolCall };

export interface Delivered {
  /** The text of the deltas delivered, in order. */
  text: string;
  toolCalls: common.ToolCall[];
  finishReason: inference.FinishReason;
  /** The provider's usage, when it reported it (at the end, or with its failure). */
  reportedUsage: common.Usage | undefined;
  /**
   * `complete`: the provider ended the answer; `failed`: it failed after its first chunk;
   * `cancelled`: the caller left (cancelled, or its deadline passed).
   */
  ending: 'complete' | 'failed' | 'cancelled';
  /** Why it failed: the provider's failure. */
  error: unknown;
}

/**
 * Passes `chunks` on through `send` until the provider ends the answer, fails, or the caller
 * leaves (`signal`). The iterator is ended (`return()`, which aborts the provider's request)
 * whenever the provider did not end it itself.
 */
export async function deliverChunks(
  chunks: AsyncIterator<ProviderChunk>,
  send: (delta: Delta) => Promise<void>,
  signal: AbortSignal,
): Promise<Delivered> {
  const delivered: Delivered = {
    text: '',
    toolCalls: [],
    finishReason: inference.FinishReason.FINISH_REASON_UNSPECIFIED,
    reportedUsage: undefined,
    ending: 'complete',
    error: null,
  };
  const left = new Promise<'left'>((resolve) => {
    if (signal.aborted) resolve('left');
    signal.addEventListener('abort', () => resolve('left'), { once: true });
  });
  try {
    for (;;) {
      if (signal.aborted) return ended(delivered, 'cancelled', null);
      const next = await Promise.race([chunks.next(), left]);
      if (next === 'left' || signal.aborted) return ended(delivered, 'cancelled', null);
      if (next.done) return delivered;
      const chunk = next.value;
      if (chunk.type === 'end') {
        delivered.finishReason = chunk.finishReason;
        delivered.reportedUsage = chunk.usage;
        return delivered;
      }
      if (chunk.type === 'text') {
        if (chunk.text === '') continue;
        await send({ text: chunk.text });
        delivered.text += chunk.text;
      } else {
        await send({ toolCall: chunk.toolCall });
        delivered.toolCalls.push(chunk.toolCall);
      }
    }
  } catch (error) {
    if (signal.aborted) return ended(delivered, 'cancelled', null);
    if (error instanceof ProviderError) delivered.reportedUsage = error.usage;
    return ended(delivered, 'failed', error);
  } finally {
    if (delivered.ending !== 'complete' || signal.aborted) void chunks.return?.();
  }
}

function ended(delivered: Delivered, ending: Delivered['ending'], error: unknown): Delivered {
  delivered.ending = ending;
  delivered.error = error;
  return delivered;
}

/** The deltas that replay a stored answer: its text as one delta, then each tool call. */
export function replayDeltas(text: string, toolCalls: common.ToolCall[]): Delta[] {
  return [...(text === '' ? [] : [{ text }]), ...toolCalls.map((toolCall) => ({ toolCall }))];
}

/** A StreamResponse carrying one delta. */
export function deltaMessage(inferenceId: string, delta: Delta): inference.StreamResponse {
  return inference.StreamResponse.fromPartial({
    inferenceId,
    delta: 'text' in delta ? { text: delta.text } : { toolCall: delta.toolCall },
  });
}

/**
 * The usage billed for a delivered stream: the provider's where it reported it, else counted
 * with the model's tokenizer from the request's messages and the deltas delivered, marked
 * estimated, so a stream is never billed as zero.
 */
export async function deliveredUsage(
  model: router.Model,
  messages: common.ChatMessage[],
  delivered: Delivered,
): Promise<common.Usage> {
  if (delivered.reportedUsage) return delivered.reportedUsage;
  const calls = delivered.toolCalls.map((call) => call.name + call.argumentsJson);
  const [input, output] = await Promise.all([
    countChatTokens(model, messages),
    countTokens(model, [delivered.text, ...calls].join('')),
  ]);
  return common.Usage.fromPartial({
    inputTokens: BigInt(input.tokens),
    outputTokens: BigInt(output.tokens),
    estimated: true,
  });
}

/**
 * How a delivered stream is recorded: OK when the provider ended it, CANCELLED when the caller
 * cancelled it, else PARTIAL (the provider failed after its first chunk, or the caller's deadline
 * passed: either cut the answer short).
 */
export function deliveredStatus(
  delivered: Delivered,
  cancelledByCaller: boolean,
): inference.InferenceStatus {
  const { INFERENCE_STATUS_OK, INFERENCE_STATUS_CANCELLED, INFERENCE_STATUS_PARTIAL } =
    inference.InferenceStatus;
  if (delivered.ending === 'complete') return INFERENCE_STATUS_OK;
  return delivered.ending === 'cancelled' && cancelledByCaller
    ? INFERENCE_STATUS_CANCELLED
    : INFERENCE_STATUS_PARTIAL;
}

/**
 * The chain's outcome once the opened stream ended: the tries before it, then its own attempt
 * with what it delivered, billed with `usage`.
 */
export function streamOutcome(
  opened: OpenedStream,
  earlier: inference.Attempt[],
  delivered: Delivered,
  usage: common.Usage,
  status: inference.InferenceStatus,
  now: number = performance.now(),
): ChainOutcome & { served: ServedAnswer } {
  const last = attemptOf(opened.model, usage, now - opened.startedAt, delivered.error, {
    finishReason: delivered.finishReason,
    timeToFirstTokenMs: opened.firstChunkAt - opened.startedAt,
    status,
  });
  const attempts = [...earlier, last];
  return {
    served: {
      model: opened.model,
      text: delivered.text,
      usage,
      toolCalls: delivered.toolCalls,
      finishReason: delivered.finishReason,
    },
    attempts,
    costNanoUsd: chainCost(attempts),
  };
}
