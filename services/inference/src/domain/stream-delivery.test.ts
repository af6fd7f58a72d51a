import { common, inference, router } from '@keel/contracts';
import { ProviderError, type ProviderChunk } from './provider';
import { type Delta, deliverChunks, deliveredUsage } from './stream-delivery';

const { FINISH_REASON_STOP: STOP } = inference.FinishReason;
const call = common.ToolCall.fromPartial({ id: 'c1', name: 'lookup', argumentsJson: '{}' });

/** An iterator over `chunks`, then `failure` if given; counts its `return()` calls. */
function chunksOf(chunks: ProviderChunk[], failure?: Error) {
  let next = 0;
  const iterator = {
    returned: 0,
    next: async (): Promise<IteratorResult<ProviderChunk>> => {
      if (next < chunks.length) return { done: false, value: chunks[next++] };
      if (failure) throw failure;
      return { done: true, value: undefined };
    },
    return: async (): Promise<IteratorResult<ProviderChunk>> => {
      iterator.returned += 1;
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

describe('deliverChunks', () => {
  it('sends text and tool calls in order and keeps the end’s finish reason and usage', async () => {
    const usage = common.Usage.fromPartial({ inputTokens: 3n, outputTokens: 4n });
    const sent: Delta[] = [];
    const chunks = chunksOf([
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'tool_call', toolCall: call },
      { type: 'end', finishReason: STOP, usage },
    ]);
    const delivered = await deliverChunks(
      chunks,
      async (d) => void sent.push(d),
      new AbortController().signal,
    );
    expect(sent).toEqual([{ text: 'Hel' }, { text: 'lo' }, { toolCall: call }]);
    expect(delivered).toMatchObject({
      text: 'Hello',
      toolCalls: [call],
      finishReason: STOP,
      reportedUsage: usage,
      ending: 'complete',
    });
    expect(chunks.returned).toBe(0);
  });

  it('ends `failed` with the provider’s usage when the provider fails after a chunk', async () => {
    const usage = common.Usage.fromPartial({ inputTokens: 3n, outputTokens: 1n });
    const failure = new ProviderError('connection reset', { transient: true, usage });
    const chunks = chunksOf([{ type: 'text', text: 'Hel' }], failure);
    const delivered = await deliverChunks(
      chunks,
      async () => undefined,
      new AbortController().signal,
    );
    expect(delivered).toMatchObject({
      text: 'Hel',
      ending: 'failed',
      error: failure,
      reportedUsage: usage,
    });
    expect(chunks.returned).toBe(1);
  });

  it('ends `cancelled` and aborts the provider’s request when the caller leaves', async () => {
    const caller = new AbortController();
    const chunks = chunksOf([
      { type: 'text', text: 'one' },
      { type: 'text', text: 'two' },
      { type: 'text', text: 'three' },
    ]);
    const sent: Delta[] = [];
    const delivered = await deliverChunks(
      chunks,
      async (delta) => {
        sent.push(delta);
        if (sent.length === 2) caller.abort();
      },
      caller.signal,
    );
    expect(delivered).toMatchObject({ text: 'onetwo', ending: 'cancelled' });
    expect(chunks.returned).toBe(1);
  });
});

describe('deliveredUsage', () => {
  const model = router.Model.fromPartial({ name: 'm', tokenizer: 'o200k_base' });
  const messages = [
    common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content: 'hi' }),
  ];

  it('bills the provider’s usage where it reported it', async () => {
    const usage = common.Usage.fromPartial({ inputTokens: 9n, outputTokens: 9n });
    const delivered = {
      text: 'x',
      toolCalls: [],
      finishReason: STOP,
      reportedUsage: usage,
      ending: 'cancelled' as const,
      error: null,
    };
    await expect(deliveredUsage(model, messages, delivered)).resolves.toBe(usage);
  });

  it('else counts the delivered deltas, marked estimated', async () => {
    const delivered = {
      text: 'hello world',
      toolCalls: [],
      finishReason: STOP,
      reportedUsage: undefined,
      ending: 'cancelled' as const,
      error: null,
    };
    const usage = await deliveredUsage(model, messages, delivered);
    expect(usage).toMatchObject({ outputTokens: 2n, estimated: true });
    expect(usage.inputTokens).toBeGreaterThan(0n);
  });
});
