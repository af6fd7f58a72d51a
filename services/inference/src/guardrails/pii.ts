// Personal data in what Keel stores and publishes: replaced by `<TYPE>`, counted by type. Text
// with nothing found is returned as it was, so a clean request copies no string.
import { common, router } from '@keel/contracts';
import { PII_TYPES, type PiiType, countPii, detectPii, redactPii } from '@keel/guardrails';

/** Found personal data, by type name (`EMAIL_ADDRESS`: 2). */
export type PiiCounts = Record<string, number>;

export class PiiRedactor {
  private constructor(
    /** undefined: every type. */
    private readonly types: PiiType[] | undefined,
  ) {}

  /** The redactor of a PiiRedaction part; null when the part is off. */
  static of(pii: router.PiiRedaction | undefined): PiiRedactor | null {
    if (!pii) return null;
    const types = pii.types.map(piiTypeName).filter((name) => PII_TYPES.includes(name));
    return new PiiRedactor(types.length === 0 ? undefined : types);
  }

  /** `text` redacted, adding what it found to `counts`. */
  text(text: string, counts: PiiCounts): string {
    if (text === '') return text;
    const spans = detectPii(text, this.types);
    if (spans.length === 0) return text;
    for (const [type, count] of Object.entries(countPii(spans))) {
      counts[type] = (counts[type] ?? 0) + (count ?? 0);
    }
    return redactPii(text, spans);
  }

  /** Tool calls with their arguments redacted: the same array when nothing was found. */
  toolCalls(calls: common.ToolCall[], counts: PiiCounts): common.ToolCall[] {
    let changed = false;
    const redacted = calls.map((call) => {
      const argumentsJson = this.text(call.argumentsJson, counts);
      if (argumentsJson === call.argumentsJson) return call;
      changed = true;
      return { ...call, argumentsJson };
    });
    return changed ? redacted : calls;
  }

  /** Messages with their content and tool calls redacted: the same array when nothing was found. */
  messages(messages: common.ChatMessage[], counts: PiiCounts): common.ChatMessage[] {
    let changed = false;
    const redacted = messages.map((message) => {
      const content = this.text(message.content, counts);
      const toolCalls = this.toolCalls(message.toolCalls, counts);
      if (content === message.content && toolCalls === message.toolCalls) return message;
      changed = true;
      return common.ChatMessage.fromPartial({ ...message, content, toolCalls });
    });
    return changed ? redacted : messages;
  }
}

/** The name of a PiiType as the guardrails lib and the GuardrailReport write it. */
export function piiTypeName(type: router.PiiType): PiiType {
  return router.piiTypeToJSON(type).replace(/^PII_TYPE_/, '') as PiiType;
}
