/**
 * `sim`: the deterministic simulated model, served in-process, so Keel runs and is tested
 * with no provider key. The same messages sent to the same model get the same answer (see
 * answer.ts), never longer than max_tokens; usage is counted with the catalog's tokenizer.
 *
 * Latency: waits `latencyMs` before answering, then, when `tokensPerSecond` > 0, as long as
 * generating the answer's tokens at that rate takes; a stream sends its first word after
 * `latencyMs` and the others at that rate. An answer cut by max_tokens finishes with LENGTH.
 *
 * Directives, written anywhere in the last user message, for tests and demos:
 * - `[sim:empty]` answers with an empty text (0 output tokens);
 * - `[sim:fail]` fails the call with a transient provider error (like an HTTP 503), retried
 *   like one;
 * - `[sim:fail=<model name>]` fails it only for that catalog model, so a fallback can be
 *   watched taking over; repeat it to fail several models.
 * A directive's failure is not an outage: it never opens the model's circuit, so one caller's
 * directive cannot take a model away from every other caller.
 */
import { countChatTokens, countTokens } from '@keel/catalog';
import { common, inference } from '@keel/contracts';
import { countedUsage } from '../counted-usage';
import { abandoned } from '../failures';
import {
  type Provider,
  type ProviderChunk,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from '../../domain/provider';
import { simulatedAnswer } from './answer';
import { type SimDirectives, parseDirectives } from './directives';

export interface SimOptions {
  /** The provider name it serves under; default `sim`. */
  name?: string;
  latencyMs: number;
  /** 0 answers at once. */
  tokensPerSecond: number;
}

interface Answer {
  directives: SimDirectives;
  text: string;
  finishReason: inference.FinishReason;
  usage: common.Usage;
  /** How long generating the answer takes at the set rate. */
  generationMs: number;
}

export class SimProvider implements Provider {
  readonly name: string;

  constructor(private readonly options: SimOptions) {
    this.name = options.name ?? 'sim';
  }

  async complete(request: ProviderRequest): Promise<ProviderResponse> {
    const { directives, text, finishReason, usage, generationMs } = await this.answer(request);
    if (!(await pause(this.options.latencyMs + generationMs, request.signal))) {
      throw abandoned(this.name);
    }
    this.failIfDirected(directives, request);
    return { text, toolCalls: [], finishReason, usage };
  }

  /** The same answer as complete(), in words (each with the space before it) at the set rate. */
  async *stream(request: ProviderRequest): AsyncGenerator<ProviderChunk> {
    const { model, messages, signal } = request;
    const { directives, text, finishReason, usage, generationMs } = await this.answer(request);
    if (!(await pause(this.options.latencyMs, signal))) throw abandoned(this.name);
    this.failIfDirected(directives, request);
    const pieces = text === '' ? [] : text.split(/(?= )/);
    let delivered = '';
    for (const piece of pieces) {
      if (!(await pause(generationMs / pieces.length, signal))) {
        throw abandoned(this.name, await countedUsage(model, messages, delivered));
      }
      delivered += piece;
      yield { type: 'text', text: piece };
    }
    yield { type: 'end', finishReason, usage };
  }

  private async answer({ model, messages, maxTokens }: ProviderRequest): Promise<Answer> {
    const directives = parseDirectives(messages);
    const [input, { text, tokens: output, cut }] = await Promise.all([
      countChatTokens(model, messages),
      directives.empty
        ? countTokens(model, '').then((tokens) => ({ text: '', tokens, cut: false }))
        : simulatedAnswer(model, messages, maxTokens),
    ]);
    const { tokensPerSecond } = this.options;
    return {
      directives,
      text,
      finishReason: cut
        ? inference.FinishReason.FINISH_REASON_LENGTH
        : inference.FinishReason.FINISH_REASON_STOP,
      usage: common.Usage.fromPartial({
        inputTokens: BigInt(input.tokens),
        outputTokens: BigInt(output.tokens),
        estimated: input.estimated || output.estimated,
      }),
      generationMs: tokensPerSecond > 0 ? (output.tokens / tokensPerSecond) * 1000 : 0,
    };
  }

  private failIfDirected(directives: SimDirectives, { model }: ProviderRequest): void {
    if (directives.failAll || directives.failModels.has(model.name)) {
      throw new ProviderError(`${this.name}: ${model.name} is unavailable (simulated 503)`, {
        transient: true,
        outage: false,
      });
    }
  }
}

/** Waits `ms`; false as soon as the attempt is abandoned. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
