// Recorded answers: a JSONL file whose records hold a `prompt` and, per model field, the
// model's real `response` (the routing data set's `weak` and `strong`).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The routing data set beside the repository: `../shared/data/routing/gsm8k.jsonl`. */
export const DEFAULT_REPLAY_FILE = path.resolve(
  __dirname,
  '../../../../shared/data/routing/gsm8k.jsonl',
);

/** The models that replay and the record field each reads: `weak` and `strong` by default. */
export const DEFAULT_REPLAY_MODELS: Readonly<Record<string, string>> = {
  weak: 'weak',
  strong: 'strong',
};

export interface RecordedResponse {
  text: string;
  /** The recorded output tokens, when the file has them. */
  outputTokens?: number;
}

export class Replay {
  private records?: Promise<Map<string, Record<string, unknown>>>;

  constructor(readonly file: string) {}

  /** The recorded response of `field` to `prompt`, or null when the file does not have it. */
  async responseTo(prompt: string, field: string): Promise<RecordedResponse | null> {
    this.records ??= this.load();
    const record = (await this.records).get(prompt.trim());
    const answer = record?.[field] as { response?: unknown; output_tokens?: unknown } | undefined;
    if (typeof answer?.response !== 'string') return null;
    const outputTokens = answer.output_tokens;
    return {
      text: answer.response,
      outputTokens: typeof outputTokens === 'number' ? outputTokens : undefined,
    };
  }

  private async load(): Promise<Map<string, Record<string, unknown>>> {
    const text = await readFile(this.file, 'utf8').catch((error: Error) => {
      this.records = undefined;
      throw new Error(`replay file ${this.file} cannot be read: ${error.message}`);
    });
    const records = new Map<string, Record<string, unknown>>();
    text.split('\n').forEach((line, i) => {
      if (line.trim().length === 0) return;
      const record = JSON.parse(line) as Record<string, unknown>;
      if (typeof record.prompt !== 'string') {
        throw new Error(`replay file ${this.file} line ${i + 1} has no prompt`);
      }
      records.set(record.prompt.trim(), record);
    });
    return records;
  }
}
