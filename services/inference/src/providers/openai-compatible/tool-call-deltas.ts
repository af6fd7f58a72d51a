// A streamed tool call arrives in pieces under its index: the first piece carries its id and
// name, the others pieces of its arguments. A call is complete once a later call starts, or
// the stream moves on to text or its end.
import type { common } from '@keel/contracts';
import type OpenAI from 'openai';

type ToolCallDelta = OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall;

export class ToolCallDeltas {
  private readonly pending = new Map<number, common.ToolCall>();

  /** Adds one piece; returns the calls it shows complete: those of lower indexes. */
  add(delta: ToolCallDelta): common.ToolCall[] {
    const done = this.pending.has(delta.index) ? [] : this.takeWhere((i) => i < delta.index);
    const call = this.pending.get(delta.index) ?? { id: '', name: '', argumentsJson: '' };
    if (delta.id) call.id = delta.id;
    if (delta.function?.name) call.name += delta.function.name;
    if (delta.function?.arguments) call.argumentsJson += delta.function.arguments;
    this.pending.set(delta.index, call);
    return done;
  }

  /** Every call not yet returned, in index order. */
  flush(): common.ToolCall[] {
    return this.takeWhere(() => true);
  }

  private takeWhere(taken: (index: number) => boolean): common.ToolCall[] {
    const indexes = [...this.pending.keys()].filter(taken).sort((a, b) => a - b);
    return indexes.map((index) => {
      const call = this.pending.get(index) as common.ToolCall;
      this.pending.delete(index);
      return call;
    });
  }
}
