// The guardrails of one request, from its input to its record: what the provider is sent, what
// the event and the stored answer keep, what blocked it, and the GuardrailReport. Each text is
// examined once, and only for the parts that are on.
import { type common, inference } from '@keel/contracts';
import type { CallerEnd } from '../domain/answer';
import type { ProviderChunk } from '../domain/provider';
import { type EffectiveGuardrails, noGuardrails } from './effective';
import { type PiiCounts, PiiRedactor } from './pii';
import { ContentBlockedError, SafetyCheck } from './safety';
import { OutputWindow, windowedChunks } from './stream-window';

/** What the event records of an answer: its text and tool calls, redacted when PII is on. */
export interface RecordedOutput {
  text: string;
  toolCalls: common.ToolCall[];
}

/** How a request ends under its guardrails, once its chain ran (or was never called). */
export interface GuardedEnding {
  /** The content-safety block; the caller gets it unless the fallback answers. */
  block: ContentBlockedError | null;
  /** The fallback answer the caller gets instead of an error; null when none. */
  fallbackText: string | null;
  /** What the event records as output; undefined when no model generated any. */
  output: RecordedOutput | undefined;
  /** Blocked or answered by the fallback: the inference is recorded FAILED. */
  failed: boolean;
}

export class RequestGuard {
  /** The messages the provider is sent: the redacted ones when `redact_upstream`. */
  readonly upstreamMessages: common.ChatMessage[];
  /** The messages the event carries. */
  readonly recordedMessages: common.ChatMessage[];
  /** The input check's block; the request calls no model. */
  readonly inputBlock: ContentBlockedError | null;
  /** The function's fallback answer, or null when it has none. */
  readonly fallbackText: string | null;

  private readonly report: inference.GuardrailReport | undefined;
  private readonly redactor: PiiRedactor | null;
  private readonly outputCheck: SafetyCheck | null;
  private recorded: { of: string; output: RecordedOutput } | null = null;
  private window: OutputWindow | null = null;

  constructor(guardrails: EffectiveGuardrails, messages: common.ChatMessage[]) {
    this.fallbackText = guardrails.fallback?.text ?? null;
    this.redactor = PiiRedactor.of(guardrails.pii);
    this.outputCheck = SafetyCheck.of(guardrails.contentSafety, 'output');
    this.report = noGuardrails(guardrails) ? undefined : inference.GuardrailReport.create();

    const inputCheck = SafetyCheck.of(guardrails.contentSafety, 'input');
    const flagged = inputCheck?.checkMessages(messages) ?? [];
    this.inputBlock =
      inputCheck?.blocks && flagged.length > 0 ? new ContentBlockedError('input', flagged) : null;

    const redacted = this.redactor?.messages(messages, this.report!.inputPiiCounts) ?? messages;
    this.recordedMessages = redacted;
    this.upstreamMessages = guardrails.pii?.redactUpstream ? redacted : messages;
    if (this.report) {
      this.report.inputFlaggedCategories = flagged;
      this.report.redacted = this.redactor !== null;
      this.report.redactedUpstream = guardrails.pii?.redactUpstream ?? false;
      if (this.inputBlock) this.report.blockedBy = this.inputBlock.blockedBy;
    }
  }

  /**
   * Checks a whole answer (Complete, or a stream whose output is only flagged): the block, if
   * the output check blocks and found something.
   */
  checkOutput(text: string): ContentBlockedError | null {
    if (!this.outputCheck || this.window) return null;
    return this.outputFound(this.outputCheck.check(text));
  }

  /**
   * A stream's chunks as they may be delivered: when the output check blocks, text is held
   * until checked (see stream-window.ts), and the iterator throws the ContentBlockedError.
   */
  deliverable(chunks: AsyncIterator<ProviderChunk>): AsyncIterator<ProviderChunk> {
    const check = this.outputCheck;
    if (!check?.blocks) return chunks;
    this.window = new OutputWindow((text) => {
      const block = this.outputFound(check.check(text));
      if (block) throw block;
    });
    return windowedChunks(chunks, this.window);
  }

  /** Text a blocked stream generated and never delivered. */
  get heldText(): string {
    return this.window?.held ?? '';
  }

  /** The answer as the event and the stored answer keep it; redacted once per text. */
  recordedOutput(text: string, toolCalls: common.ToolCall[]): RecordedOutput {
    if (!this.redactor) return { text, toolCalls };
    if (this.recorded?.of !== text) {
      const counts: PiiCounts = {};
      const output = {
        text: this.redactor.text(text, counts),
        toolCalls: this.redactor.toolCalls(toolCalls, counts),
      };
      this.report!.outputPiiCounts = counts;
      this.recorded = { of: text, output };
    }
    return this.recorded.output;
  }

  /** The answer stored for repeats of its idempotency key: no unredacted text is kept. */
  forRepeats(answer: inference.CompleteResponse): inference.CompleteResponse {
    if (!this.redactor || answer.fallbackAnswer) return answer;
    const { text, toolCalls } = this.recordedOutput(answer.text, answer.toolCalls);
    return { ...answer, text, toolCalls };
  }

  /**
   * How the request ends: `answer` is what the model generated (null when no model answered),
   * `streamBlock` a stream window's block, `delivered` whether a stream delivered any of it.
   * The fallback answers when every model failed or a check blocked, unless the caller left
   * (nobody to answer) or a stream already delivered part of the model's answer.
   */
  ending(
    answer: RecordedOutput | null,
    end: CallerEnd,
    streamBlock: ContentBlockedError | null = null,
    delivered = false,
  ): GuardedEnding {
    const block = this.inputBlock ?? streamBlock ?? (answer ? this.checkOutput(answer.text) : null);
    const fallbackText =
      this.fallbackText !== null && end === null && (block ? !delivered : answer === null)
        ? this.fallbackText
        : null;
    const output =
      fallbackText !== null
        ? { text: fallbackText, toolCalls: [] }
        : answer && this.recordedOutput(answer.text, answer.toolCalls);
    return { block, fallbackText, output: output ?? undefined, failed: !!block || !!fallbackText };
  }

  /** The GuardrailReport of the event; undefined when no guardrail is on. */
  guardrailReport(): inference.GuardrailReport | undefined {
    return this.report;
  }

  private outputFound(found: string[]): ContentBlockedError | null {
    if (found.length === 0) return null;
    if (this.report) this.report.outputFlaggedCategories = found;
    if (!this.outputCheck?.blocks) return null;
    const block = new ContentBlockedError('output', found);
    if (this.report) this.report.blockedBy = block.blockedBy;
    return block;
  }
}
