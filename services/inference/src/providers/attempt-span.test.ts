import { builtinCatalog, findModel } from '@keel/catalog';
import { common, inference, type router } from '@keel/contracts';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { FIRST_CHUNK_EVENT } from './attempt-span';
import {
  type Provider,
  type ProviderChunk,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from '../domain/provider';
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
  stop: [],
  responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_UNSPECIFIED,
  tools: [],
  toolChoice: '',
};
const STOP = inference.FinishReason.FINISH_REASON_STOP;
const answer: ProviderResponse = {
  text: 'hello',
  toolCalls: [],
  finishReason: STOP,
  usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens: 1n }),
};
const ignore = () => undefined;
const logger = { info: ignore, warn: ignore, error: ignore };
const options = () => ({
  signal: new AbortController().signal,
  deadline: Infinity,
  retried: ignore,
});

/** ResilientProviders over one sim adapter that plays `steps` in order, one per call. */
function providersPlaying(
  steps: Array<(call: ProviderRequest) => Promise<ProviderResponse>>,
  attemptTimeoutMs = 1_000,
  streams: Array<(call: ProviderRequest) => AsyncIterable<ProviderChunk>> = [],
) {
  let calls = 0;
  const provider: Provider = {
    name: 'sim',
    complete: (call) => steps[calls++](call),
    stream: (call) => streams[calls++](call),
  };
  return new ResilientProviders(
    (name) => (name === 'sim' ? provider : undefined),
    { attemptTimeoutMs, retryDelayMs: 1, retries: 2 },
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
      await providers.complete(simSmall, request, options());
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
    await expect(providers.complete(simSmall, request, options())).rejects.toThrow(
      'context too long',
    );

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
    const providers = providersPlaying([hanging, hanging, hanging], 20);
    await expect(providers.complete(simSmall, request, options())).rejects.toThrow('timed out');
    expect(exporter.getFinishedSpans().map((span) => span.attributes['error.type'])).toEqual([
      'timeout',
      'timeout',
      'timeout',
    ]);
  });

  it('keeps a streamed try’s span open until its stream ends, marking its first chunk', async () => {
    const providers = providersPlaying([], 1_000, [
      // eslint-disable-next-line require-yield
      async function* () {
        throw new ProviderError('service unavailable (503)', { transient: true });
      },
      async function* () {
        yield { type: 'text', text: 'hel' };
        yield { type: 'text', text: 'lo' };
        yield {
          type: 'end',
          finishReason: STOP,
          usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens: 2n }),
        };
      },
    ]);
    const stream = await providers.openStream(simSmall, request, options());
    await stream.next();
    // Opened: the failed try's span has ended, the open one's has not.
    expect(exporter.getFinishedSpans().map((span) => span.attributes['error.type'])).toEqual([
      'unavailable',
    ]);
    while (!(await stream.next()).done);

    const [failed, served] = exporter.getFinishedSpans();
    expect(failed.events).toEqual([]);
    expect(served.attributes).toEqual({
      ...genAi,
      'gen_ai.response.model': 'sim-small',
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.usage.output_tokens': 2,
    });
    expect(served.events.map((event) => event.name)).toEqual([FIRST_CHUNK_EVENT]);
    expect(served.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends a stream’s span as failed, with the billed usage, when it fails after its first chunk', async () => {
    const providers = providersPlaying([], 1_000, [
      async function* () {
        yield { type: 'text', text: 'hel' };
        throw new ProviderError('connection reset', {
          transient: true,
          usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens: 1n }),
        });
      },
    ]);
    const stream = await providers.openStream(simSmall, request, options());
    await stream.next();
    await expect(stream.next()).rejects.toThrow('connection reset');

    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection reset' });
    expect(span.attributes).toMatchObject({
      'error.type': 'unavailable',
      'gen_ai.usage.output_tokens': 1,
    });
    expect(span.events.map((event) => event.name)).toEqual([FIRST_CHUNK_EVENT]);
  });
});
