import { builtinCatalog, findModel } from '@keel/catalog';
import { common, type router } from '@keel/contracts';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { eventually } from '@keel/testing';
import {
  type Provider,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from './provider';
import { ResilientProviders } from './resilience';

const exporter = new InMemorySpanExporter();
const tracerProvider = new NodeTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
tracerProvider.register();
afterAll(() => tracerProvider.shutdown());
beforeEach(() => exporter.reset());

const simSmall = findModel(builtinCatalog(1n), 'sim-small') as router.Model;
const request = {
  messages: [
    common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content: 'hi' }),
  ],
  maxTokens: 16,
};
const answer: ProviderResponse = {
  text: 'hello',
  usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens: 1n }),
};
const ignore = () => undefined;
const logger = { info: ignore, warn: ignore, error: ignore };

/** ResilientProviders over one sim adapter that plays `steps` in order, one per call. */
function providersPlaying(
  steps: Array<(call: ProviderRequest) => Promise<ProviderResponse>>,
  timeoutMs = 1_000,
) {
  let calls = 0;
  const provider: Provider = { name: 'sim', complete: (call) => steps[calls++](call) };
  return new ResilientProviders(
    new Map([['sim', provider]]),
    { timeoutMs, retryDelayMs: 1, retries: 2 },
    logger,
  );
}

const genAi = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'sim',
  'gen_ai.request.model': 'sim-small',
  'gen_ai.request.max_tokens': 16,
};

describe('provider attempt spans', () => {
  it('makes each try a CLIENT span under the caller’s span, with GenAI attributes', async () => {
    const providers = providersPlaying([
      () => Promise.reject(new ProviderError('overloaded (503)', { transient: true })),
      async () => answer,
    ]);
    const parent = await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await providers.complete(simSmall, request);
      span.end();
      return span.spanContext();
    });

    const attempts = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) {
      expect(attempt.name).toBe('chat sim-small');
      expect(attempt.parentSpanContext?.spanId).toBe(parent.spanId);
      expect(attempt.spanContext().traceId).toBe(parent.traceId);
    }
    const [failed, served] = attempts;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes).toEqual({ ...genAi, 'error.type': 'unavailable' });
    expect(served.status.code).toBe(SpanStatusCode.UNSET);
    expect(served.attributes).toEqual({
      ...genAi,
      'gen_ai.response.model': 'sim-small',
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.usage.output_tokens': 1,
    });
  });

  it('names a refused call and the tokens its provider billed for it', async () => {
    const refused = new ProviderError('context too long (400)', {
      transient: false,
      usage: common.Usage.fromPartial({ inputTokens: 5n, outputTokens: 0n }),
    });
    const providers = providersPlaying([() => Promise.reject(refused)]);
    await expect(providers.complete(simSmall, request)).rejects.toThrow('context too long');

    const [attempt] = exporter.getFinishedSpans();
    expect(attempt.attributes).toEqual({
      ...genAi,
      'error.type': 'refused',
      'gen_ai.usage.input_tokens': 5,
      'gen_ai.usage.output_tokens': 0,
    });
  });

  it('ends a try the timeout aborted as error.type timeout', async () => {
    // An adapter that answers only when its signal aborts it.
    const hanging = (call: ProviderRequest) =>
      new Promise<ProviderResponse>((_resolve, reject) =>
        call.signal.addEventListener('abort', () =>
          reject(new ProviderError('aborted', { transient: true })),
        ),
      );
    const providers = providersPlaying([hanging], 20);
    await expect(providers.complete(simSmall, request)).rejects.toThrow('timed out');
    const ended = await eventually(
      () => {
        const spans = exporter.getFinishedSpans();
        return spans.length > 0 && spans.map((span) => span.attributes['error.type']);
      },
      { what: 'the aborted try’s span to end' },
    );
    expect(ended).toEqual(['timeout']);
  });
});
