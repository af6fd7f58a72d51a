/**
 * `sim`: the deterministic simulated model, served in-process, so Keel runs and is tested
 * with no provider key. The same messages sent to the same model get the same answer (see
 * answer.ts), never longer than max_tokens; usage is counted with the catalog's tokenizer.
 *
 * Latency: waits `latencyMs` before answering, then, when `tokensPerSecond` > 0, as long as
 * generating the answer's tokens at that rate takes.
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
import { common } from '@keel/contracts';
import {
  type Provider,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from '../provider';
import { simulatedAnswer } from './answer';
import { parseDirectives } from './directives';

export interface SimOptions {
  latencyMs: number;
  /** 0 answers at once. */
  tokensPerSecond: number;
}

export class SimProvider implements Provider {
  readonly name = 'sim';

  constructor(private readonly options: SimOptions) {}

  async complete({
    model,
    messages,
    maxTokens,
    signal,
  }: ProviderRequest): Promise<ProviderResponse> {
    const directives = parseDirectives(messages);
    const [input, { text, tokens: output }] = await Promise.all([
      countChatTokens(model, messages),
      directives.empty
        ? countTokens(model, '').then((tokens) => ({ text: '', tokens }))
        : simulatedAnswer(model, messages, maxTokens),
    ]);

    const { latencyMs, tokensPerSecond } = this.options;
    const generationMs = tokensPerSecond > 0 ? (output.tokens / tokensPerSecond) * 1000 : 0;
    await pause(latencyMs + generationMs, signal);

    if (directives.failAll || directives.failModels.has(model.name)) {
      throw new ProviderError(`sim: ${model.name} is unavailable (simulated 503)`, {
        transient: true,
        outage: false,
      });
    }
    return {
      text,
      usage: common.Usage.fromPartial({
        inputTokens: BigInt(input.tokens),
        outputTokens: BigInt(output.tokens),
        estimated: input.estimated || output.estimated,
      }),
    };
  }
}

/** Waits `ms`, or rejects as soon as the attempt is abandoned. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(cancelled());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelled(): ProviderError {
  return new ProviderError('sim: the call was abandoned before it answered', { transient: true });
}
