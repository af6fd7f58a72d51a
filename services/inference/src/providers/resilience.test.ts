import { setTimeout as sleep } from 'node:timers/promises';
import { builtinCatalog, findModel } from '@keel/catalog';
import { common, inference, router } from '@keel/contracts';
import { CancelledError, DeadlineExceededError, InvalidArgumentError } from '@keel/errors';
import { CallEnded } from '@keel/kit';
import { status } from '@grpc/grpc-js';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { NotSentError } from '../domain/fallback';
import {
  type Provider,
  type ProviderChunk,
  ProviderError,
  type ProviderRequest,
  type ProviderResponse,
} from '../domain/provider';
import {
  type CallOptions,
  CircuitOpenError,
  type ModelRequest,
  type ResilienceOptions,
  ResilientProviders,
} from './resilience';

const simSmall = findModel(builtinCatalog(1n), 'sim-small') as router.Model;
const simLarge = findModel(builtinCatalog(1n), 'sim-large') as router.Model;
const request: ModelRequest = {
  messages: [
    common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content: 'hi' }),
  ],
  maxTokens: 16,
  temperature: 0.2,
  stop: ['END'],
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
const unavailable = () =>
  new ProviderError('service unavailable (503)', { transient: true, httpStatus: 503 });
const rateLimited = (retryAfterMs: number) =>
  new ProviderError('rate limited (429)', { transient: true, httpStatus: 429, retryAfterMs });
const badRequest = () =>
  new ProviderError('invalid request (400)', { transient: false, httpStatus: 400 });

type Step = (call: ProviderRequest) => Promise<ProviderResponse>;
type StreamStep = (call: ProviderRequest) => AsyncIterable<ProviderChunk>;

/**
 * A provider that plays `steps` in order, one per call (the last one again once they run out),
 * recording every call it received.
 */
function scripted(steps: Step[], streams: StreamStep[] = [], name = 'sim') {
  const calls: ProviderRequest[] = [];
  const pick = <T>(list: T[]) => list[Math.min(calls.length - 1, list.length - 1)];
  const provider: Provider = {
    name,
    complete: (call) => {
      calls.push(call);
      return pick(steps)(call);
    },
    stream: (call) => {
      calls.push(call);
      return pick(streams)(call);
    },
  };
  return { provider, calls };
}

/** An adapter call that settles only when its signal aborts it. */
const hanging: Step = (call) =>
  new Promise((_, reject) =>
    call.signal.addEventListener('abort', () =>
      reject(new ProviderError('request aborted', { transient: true })),
    ),
  );

/** The log lines written, as [level, fields, message]. */
function recordingLogger() {
  const lines: Array<[string, Record<string, unknown>, string]> = [];
  const at = (level: string) => (fields: object, message: string) =>
    void lines.push([level, fields as Record<string, unknown>, message]);
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

function resilient(
  providers: Provider | Provider[],
  options: Partial<ResilienceOptions> = {},
  logger = recordingLogger().logger,
) {
  const byName = new Map([providers].flat().map((provider) => [provider.name, provider]));
  return new ResilientProviders(
    (name) => byName.get(name),
    { attemptTimeoutMs: 1_000, retryDelayMs: 1, retryMaxDelayMs: 5, ...options },
    logger,
  );
}

/** Call options with no deadline, recording the failed tries told of. */
function callOptions(overrides: Partial<CallOptions> = {}) {
  const retried: ProviderError[] = [];
  const options: CallOptions = {
    signal: new AbortController().signal,
    deadline: Infinity,
    retried: (failure) => void retried.push(failure),
    ...overrides,
  };
  return { options, retried };
}

async function* chunksOf(...chunks: ProviderChunk[]): AsyncGenerator<ProviderChunk> {
  for (const chunk of chunks) yield chunk;
}

const end = (outputTokens: bigint): ProviderChunk => ({
  type: 'end',
  finishReason: STOP,
  usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens }),
});

async function drain(iterator: AsyncIterator<ProviderChunk>): Promise<ProviderChunk[]> {
  const chunks: ProviderChunk[] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    chunks.push(next.value);
  }
  return chunks;
}

describe('ResilientProviders.complete', () => {
  it('passes the model and every request parameter to the adapter of the model’s provider', async () => {
    const { provider, calls } = scripted([async () => answer]);
    const call = resilient(provider).complete(simSmall, request, callOptions().options);
    await expect(call).resolves.toEqual(answer);
    expect(calls[0]).toMatchObject({ ...request, model: simSmall });
    expect(calls[0].signal).toBeInstanceOf(AbortSignal);
  });

  it('retries a transient failure, tells of the failed try, and answers with the retry', async () => {
    const { provider, calls } = scripted([() => Promise.reject(unavailable()), async () => answer]);
    const { options, retried } = callOptions();
    await expect(resilient(provider).complete(simSmall, request, options)).resolves.toEqual(answer);
    expect(calls).toHaveLength(2);
    expect(retried.map((failure) => [failure.message, failure.httpStatus])).toEqual([
      ['service unavailable (503)', 503],
    ]);
  });

  it('tries a model 3 times by default, then fails with the last try’s error', async () => {
    const { provider, calls } = scripted([() => Promise.reject(unavailable())]);
    const { options, retried } = callOptions();
    await expect(resilient(provider).complete(simSmall, request, options)).rejects.toThrow(
      'service unavailable (503)',
    );
    expect(calls).toHaveLength(3);
    // The last try is the error thrown, so it is told of once only.
    expect(retried).toHaveLength(2);
  });

  it('tries as many times as configured', async () => {
    const { provider, calls } = scripted([() => Promise.reject(unavailable())]);
    const call = resilient(provider, { retries: 4 }).complete(
      simSmall,
      request,
      callOptions().options,
    );
    await expect(call).rejects.toThrow('service unavailable');
    expect(calls).toHaveLength(5);
  });

  it('does not retry a 400, nor any failure the adapter calls permanent', async () => {
    const refused = badRequest();
    const { provider, calls } = scripted([() => Promise.reject(refused)]);
    const { options, retried } = callOptions();
    await expect(resilient(provider).complete(simSmall, request, options)).rejects.toBe(refused);
    expect(calls).toHaveLength(1);
    expect(retried).toHaveLength(0);
  });

  it('waits the Retry-After of a 429 before the next try, not the shorter backoff', async () => {
    const triedAt: number[] = [];
    const { provider } = scripted([
      () => (triedAt.push(performance.now()), Promise.reject(rateLimited(200))),
      async () => (triedAt.push(performance.now()), answer),
    ]);
    const call = resilient(provider).complete(simSmall, request, callOptions().options);
    await expect(call).resolves.toEqual(answer);
    // The backoff is at most 5 ms here: only the Retry-After explains the gap (timers may
    // fire up to a millisecond early).
    expect(triedAt[1] - triedAt[0]).toBeGreaterThanOrEqual(198);
  });

  it('fails at once when the Retry-After outlasts the time left before the deadline', async () => {
    const { provider, calls } = scripted([() => Promise.reject(rateLimited(5_000))]);
    const { options, retried } = callOptions({ deadline: Date.now() + 2_000 });
    const call = resilient(provider).complete(simSmall, request, options);
    await expect(call).rejects.toThrow(
      /^rate limited \(429\); not retried: Retry-After 5000 ms outlasts the \d+ ms left before the deadline$/,
    );
    await expect(call).rejects.toMatchObject({ httpStatus: 429, retryAfterMs: 5_000 });
    expect(calls).toHaveLength(1);
    expect(retried).toHaveLength(0);
  });

  it('fails at once when the Retry-After is longer than the most it waits', async () => {
    const { provider, calls } = scripted([() => Promise.reject(rateLimited(60_000))]);
    const call = resilient(provider, { retryAfterMaxMs: 30_000 }).complete(
      simSmall,
      request,
      callOptions().options,
    );
    await expect(call).rejects.toThrow(
      'rate limited (429); not retried: Retry-After 60000 ms is over the 30000 ms Keel waits',
    );
    expect(calls).toHaveLength(1);
  });

  it('does not retry when the backoff would outlast the deadline', async () => {
    const { provider, calls } = scripted([() => Promise.reject(unavailable())]);
    const { options } = callOptions({ deadline: Date.now() + 500 });
    const call = resilient(provider, { retryDelayMs: 5_000, retryMaxDelayMs: 5_000 }).complete(
      simSmall,
      request,
      options,
    );
    await expect(call).rejects.toThrow(
      'service unavailable (503); not retried: the deadline passes before the next try',
    );
    expect(calls).toHaveLength(1);
  });

  it('times out each try on its own and retries it, counting the timeout as transient', async () => {
    const { provider, calls } = scripted([hanging, hanging, async () => answer]);
    const { options, retried } = callOptions();
    const call = resilient(provider, { attemptTimeoutMs: 30 }).complete(simSmall, request, options);
    await expect(call).resolves.toEqual(answer);
    expect(calls).toHaveLength(3);
    expect(calls[0].signal.aborted).toBe(true);
    expect(retried.map((failure) => [failure.message, failure.transient])).toEqual([
      ['timed out after 30 ms', true],
      ['timed out after 30 ms', true],
    ]);
  });

  it('times out a try whose adapter ignores its signal', async () => {
    const neverSettles: Step = () => new Promise(() => undefined);
    const { provider } = scripted([neverSettles]);
    const call = resilient(provider, { attemptTimeoutMs: 20, retries: 0 }).complete(
      simSmall,
      request,
      callOptions().options,
    );
    await expect(call).rejects.toThrow('timed out after 20 ms');
  });

  it('starts no try once the deadline has passed', async () => {
    const { provider, calls } = scripted([async () => answer]);
    const { options, retried } = callOptions({ deadline: Date.now() - 1 });
    const call = resilient(provider).complete(simSmall, request, options);
    await expect(call).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(call).rejects.toThrow('the deadline passed while calling sim-small');
    expect(calls).toHaveLength(0);
    // The try it kept from being sent explains the chain's end.
    expect(retried).toHaveLength(1);
    expect(retried[0]).toBeInstanceOf(NotSentError);
    expect(retried[0].message).toBe('the deadline passed while calling sim-small');
  });

  it('aborts the try in flight when the deadline passes, and tells of it as a failed try', async () => {
    const { provider, calls } = scripted([hanging]);
    const { options, retried } = callOptions({ deadline: Date.now() + 50 });
    const call = resilient(provider, { attemptTimeoutMs: 10_000 }).complete(
      simSmall,
      request,
      options,
    );
    await expect(call).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(calls).toHaveLength(1);
    expect(calls[0].signal.aborted).toBe(true);
    expect(retried.map((failure) => [failure.message, failure.transient])).toEqual([
      ['the deadline passed while calling sim-small', false],
    ]);
  });

  it('ends with a CancelledError when the caller cancels, even while waiting to retry', async () => {
    const caller = new AbortController();
    const { provider, calls } = scripted([
      () => {
        setTimeout(() => caller.abort(), 20);
        return Promise.reject(rateLimited(100_000));
      },
    ]);
    const { options, retried } = callOptions({ signal: caller.signal });
    // A wait the cancel did not cut short would outlast the test's timeout.
    const call = resilient(provider, { retryAfterMaxMs: 200_000 }).complete(
      simSmall,
      request,
      options,
    );
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    await expect(call).rejects.toThrow('the caller cancelled the call to sim-small');
    expect(calls).toHaveLength(1);
    expect(retried.map((failure) => [failure.message, failure instanceof NotSentError])).toEqual([
      ['rate limited (429)', false],
      ['the caller cancelled the call to sim-small', true],
    ]);
  });

  it.each([
    ['deadline', status.DEADLINE_EXCEEDED, DeadlineExceededError],
    ['cancel', status.CANCELLED, CancelledError],
  ] as const)(
    'takes the caller’s word for a %s it signals before the deadline',
    async (_, code, expected) => {
      const caller = new AbortController();
      const { provider } = scripted([hanging]);
      const { options } = callOptions({ signal: caller.signal, deadline: Date.now() + 60_000 });
      const call = resilient(provider).complete(simSmall, request, options);
      setTimeout(() => caller.abort(new CallEnded(code)), 10);
      await expect(call).rejects.toBeInstanceOf(expected);
    },
  );

  it('fails a model whose provider has no adapter, without retrying', async () => {
    const gpt = router.Model.fromPartial({ ...simSmall, name: 'gpt-x', provider: 'openai' });
    const { provider } = scripted([async () => answer]);
    const call = resilient(provider).complete(gpt, request, callOptions().options);
    await expect(call).rejects.toThrow("no adapter serves provider 'openai'");
    await expect(call).rejects.toMatchObject({ transient: false });
  });

  it('fails the attempt at once, with its message, when the adapter refuses the request', async () => {
    const refusal = new InvalidArgumentError('tools[0].parameters_json_schema', 'not an object');
    const { provider, calls } = scripted([() => Promise.reject(refusal)]);
    const call = resilient(provider).complete(simSmall, request, callOptions().options);
    await expect(call).rejects.toMatchObject({
      message: refusal.message,
      transient: false,
      cause: refusal,
    });
    expect(calls).toHaveLength(1);
  });

  it('hides an unclassified error behind a transient ProviderError and logs its cause', async () => {
    const leak = new TypeError('fetch failed: https://internal.example/v1?key=secret');
    const { provider, calls } = scripted([() => Promise.reject(leak)]);
    const { logger, lines } = recordingLogger();
    const { options, retried } = callOptions();
    const call = resilient(provider, { retries: 1 }, logger).complete(simSmall, request, options);
    await expect(call).rejects.toBeInstanceOf(ProviderError);
    await expect(call).rejects.toMatchObject({
      message: 'provider call failed',
      transient: true,
      cause: leak,
    });
    expect(calls).toHaveLength(2);
    expect(retried.map((failure) => failure.message)).toEqual(['provider call failed']);
    const warnings = lines.filter(([level]) => level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0][1]).toMatchObject({ model: 'sim-small', provider: 'sim', err: leak });
  });
});

describe('the circuit breaker', () => {
  const breaker = { failureRatio: 0.5, windowMs: 10_000, minCalls: 4, openMs: 60_000 };

  it('opens after enough outage failures, then refuses without calling, for that model only', async () => {
    const { provider, calls } = scripted([
      (call) =>
        call.model.name === 'sim-small' ? Promise.reject(unavailable()) : Promise.resolve(answer),
    ]);
    const { logger, lines } = recordingLogger();
    const providers = resilient(provider, { retries: 0, breaker }, logger);
    for (let i = 0; i < 4; i++) {
      await expect(providers.complete(simSmall, request, callOptions().options)).rejects.toThrow(
        'service unavailable',
      );
    }
    expect(providers.breakerState(simSmall)).toBe('open');
    const refused = providers.complete(simSmall, request, callOptions().options);
    await expect(refused).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(refused).rejects.toThrow(
      'circuit open: sim-small on sim failed repeatedly and is skipped until it recovers',
    );
    expect(calls).toHaveLength(4);
    expect(lines).toContainEqual([
      'warn',
      { provider: 'sim', provider_model: 'sim-small', breaker_state: 'open' },
      'circuit opened: calls are refused for 60000 ms',
    ]);

    await expect(providers.complete(simLarge, request, callOptions().options)).resolves.toEqual(
      answer,
    );
    expect(providers.breakerState(simLarge)).toBe('closed');
  });

  it('stays closed while the failures are no more than the ratio of the window’s calls', async () => {
    // Successes alternate with failures: half of the calls fail, which is not more than half.
    const { provider, calls } = scripted([
      async () => answer,
      () => Promise.reject(unavailable()),
      async () => answer,
      () => Promise.reject(unavailable()),
      async () => answer,
      () => Promise.reject(unavailable()),
    ]);
    const providers = resilient(provider, { retries: 0, breaker });
    for (let i = 0; i < 6; i++) {
      await providers.complete(simSmall, request, callOptions().options).catch(() => undefined);
    }
    expect(calls).toHaveLength(6);
    expect(providers.breakerState(simSmall)).toBe('closed');
  });

  it('does not count a refused request (400) toward opening the circuit', async () => {
    const { provider, calls } = scripted([() => Promise.reject(badRequest())]);
    const providers = resilient(provider, { retries: 0, breaker });
    for (let i = 0; i < 6; i++) {
      await expect(providers.complete(simSmall, request, callOptions().options)).rejects.toThrow(
        'invalid request',
      );
    }
    expect(calls).toHaveLength(6);
    expect(providers.breakerState(simSmall)).toBe('closed');
  });

  it('does not count a transient failure that is no outage toward opening the circuit', async () => {
    const ownFault = () => new ProviderError('simulated 503', { transient: true, outage: false });
    const { provider, calls } = scripted([() => Promise.reject(ownFault())]);
    const providers = resilient(provider, { retries: 1, breaker });
    for (let i = 0; i < 3; i++) {
      await expect(providers.complete(simSmall, request, callOptions().options)).rejects.toThrow(
        'simulated 503',
      );
    }
    expect(calls).toHaveLength(6);
    expect(providers.breakerState(simSmall)).toBe('closed');
  });

  it('keeps a circuit per provider: a model name served by two providers fails apart', async () => {
    const down = scripted([() => Promise.reject(unavailable())], [], 'down');
    const up = scripted([async () => answer], [], 'up');
    const onDown = router.Model.fromPartial({ ...simSmall, provider: 'down' });
    const onUp = router.Model.fromPartial({ ...simSmall, provider: 'up' });
    const providers = resilient([down.provider, up.provider], { retries: 0, breaker });
    for (let i = 0; i < 4; i++) {
      await providers.complete(onDown, request, callOptions().options).catch(() => undefined);
    }
    expect(providers.breakerState(onDown)).toBe('open');
    await expect(providers.complete(onUp, request, callOptions().options)).resolves.toEqual(answer);
    expect(providers.breakerState(onUp)).toBe('closed');
  });

  it('lets one probe through once the open time passed; its success closes the circuit', async () => {
    let healthy = false;
    const { provider, calls } = scripted([
      () => (healthy ? Promise.resolve(answer) : Promise.reject(unavailable())),
    ]);
    const { logger, lines } = recordingLogger();
    const providers = resilient(
      provider,
      { retries: 0, breaker: { ...breaker, openMs: 50 } },
      logger,
    );
    for (let i = 0; i < 4; i++) {
      await providers.complete(simSmall, request, callOptions().options).catch(() => undefined);
    }
    expect(providers.breakerState(simSmall)).toBe('open');
    healthy = true;
    await sleep(60); // the circuit's open time
    await expect(providers.complete(simSmall, request, callOptions().options)).resolves.toEqual(
      answer,
    );
    expect(calls).toHaveLength(5);
    expect(providers.breakerState(simSmall)).toBe('closed');
    expect(lines.map(([, fields, message]) => [fields.breaker_state, message])).toEqual([
      ['open', 'circuit opened: calls are refused for 50 ms'],
      ['half-open', 'circuit half-open: one probe'],
      ['closed', 'circuit closed'],
    ]);
  });

  it('opens the circuit again when its probe fails', async () => {
    const { provider, calls } = scripted([() => Promise.reject(unavailable())]);
    const providers = resilient(provider, { retries: 0, breaker: { ...breaker, openMs: 50 } });
    for (let i = 0; i < 4; i++) {
      await providers.complete(simSmall, request, callOptions().options).catch(() => undefined);
    }
    await sleep(60); // the circuit's open time
    await expect(providers.complete(simSmall, request, callOptions().options)).rejects.toThrow(
      'service unavailable',
    );
    expect(providers.breakerState(simSmall)).toBe('open');
    await expect(
      providers.complete(simSmall, request, callOptions().options),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toHaveLength(5);
  });

  it('opens the circuit again when the caller cuts its probe short', async () => {
    let probing = false;
    const caller = new AbortController();
    const { provider, calls } = scripted([
      (call) => {
        if (!probing) return Promise.reject(unavailable());
        setTimeout(() => caller.abort(), 10);
        return hanging(call);
      },
    ]);
    const providers = resilient(provider, { retries: 0, breaker: { ...breaker, openMs: 50 } });
    for (let i = 0; i < 4; i++) {
      await providers.complete(simSmall, request, callOptions().options).catch(() => undefined);
    }
    await sleep(60); // the circuit's open time
    probing = true;
    const probe = providers.complete(
      simSmall,
      request,
      callOptions({ signal: caller.signal }).options,
    );
    await expect(probe).rejects.toBeInstanceOf(CancelledError);
    expect(providers.breakerState(simSmall)).toBe('open');
    expect(calls).toHaveLength(5);
  });

  it('reports each circuit’s state as the keel.inference.breaker.state gauge', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { provider } = scripted([
      (call) =>
        call.model.name === 'sim-small' ? Promise.reject(unavailable()) : Promise.resolve(answer),
    ]);
    const providers = resilient(provider, {
      retries: 0,
      breaker,
      meter: meterProvider.getMeter('test'),
    });
    await providers.complete(simLarge, request, callOptions().options);
    for (let i = 0; i < 4; i++) {
      await providers.complete(simSmall, request, callOptions().options).catch(() => undefined);
    }
    const { resourceMetrics } = await reader.collect();
    const gauge = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'keel.inference.breaker.state');
    expect(
      gauge?.dataPoints.map((point) => [point.attributes['gen_ai.request.model'], point.value]),
    ).toEqual([
      ['sim-large', 0],
      ['sim-small', 2],
    ]);
    await meterProvider.shutdown();
  });

  it('counts timeouts toward opening the circuit', async () => {
    const { provider, calls } = scripted([hanging]);
    const providers = resilient(provider, { retries: 0, attemptTimeoutMs: 10, breaker });
    for (let i = 0; i < 4; i++) {
      await expect(providers.complete(simSmall, request, callOptions().options)).rejects.toThrow(
        'timed out',
      );
    }
    expect(providers.breakerState(simSmall)).toBe('open');
    expect(calls).toHaveLength(4);
  });
});

describe('ResilientProviders.openStream', () => {
  it('resolves at the first chunk and passes every chunk through, the first one first', async () => {
    const chunks: ProviderChunk[] = [
      { type: 'text', text: 'hel' },
      { type: 'text', text: 'lo' },
      end(2n),
    ];
    const { provider } = scripted([], [() => chunksOf(...chunks)]);
    const stream = await resilient(provider).openStream(simSmall, request, callOptions().options);
    await expect(drain(stream)).resolves.toEqual(chunks);
  });

  it('retries a stream that fails before its first chunk', async () => {
    const { provider, calls } = scripted(
      [],
      [
        // eslint-disable-next-line require-yield
        async function* () {
          throw unavailable();
        },
        () => chunksOf({ type: 'text', text: 'ok' }, end(1n)),
      ],
    );
    const { options, retried } = callOptions();
    const stream = await resilient(provider).openStream(simSmall, request, options);
    expect(calls).toHaveLength(2);
    expect(retried.map((failure) => failure.message)).toEqual(['service unavailable (503)']);
    await expect(drain(stream)).resolves.toEqual([{ type: 'text', text: 'ok' }, end(1n)]);
  });

  it('times out a stream whose first chunk does not come, and retries it', async () => {
    const { provider, calls } = scripted(
      [],
      [
        async function* (call) {
          await hanging(call);
          yield { type: 'text', text: 'never' };
        },
        () => chunksOf(end(0n)),
      ],
    );
    const { options, retried } = callOptions();
    const stream = await resilient(provider, { attemptTimeoutMs: 30 }).openStream(
      simSmall,
      request,
      options,
    );
    expect(calls).toHaveLength(2);
    expect(calls[0].signal.aborted).toBe(true);
    expect(retried.map((failure) => failure.message)).toEqual(['timed out after 30 ms']);
    await expect(drain(stream)).resolves.toEqual([end(0n)]);
  });

  it('does not retry a failure after the first chunk, nor time the stream out after it', async () => {
    const cutOff = new ProviderError('connection reset', {
      transient: true,
      usage: common.Usage.fromPartial({ inputTokens: 8n, outputTokens: 3n }),
    });
    const { provider, calls } = scripted(
      [],
      [
        async function* () {
          yield { type: 'text', text: 'partial' };
          await sleep(40); // longer than the try's timeout: it no longer applies
          throw cutOff;
        },
      ],
    );
    const stream = await resilient(provider, { attemptTimeoutMs: 20 }).openStream(
      simSmall,
      request,
      callOptions().options,
    );
    await expect(stream.next()).resolves.toEqual({
      done: false,
      value: { type: 'text', text: 'partial' },
    });
    await expect(stream.next()).rejects.toBe(cutOff);
    expect(calls).toHaveLength(1);
  });

  it('aborts the adapter’s stream when the deadline passes after the first chunk', async () => {
    const { provider, calls } = scripted(
      [],
      [
        async function* (call) {
          yield { type: 'text', text: 'first' };
          await hanging(call);
        },
      ],
    );
    const { options } = callOptions({ deadline: Date.now() + 50 });
    const stream = await resilient(provider).openStream(simSmall, request, options);
    await stream.next();
    const failure = stream.next();
    await expect(failure).rejects.toBeInstanceOf(ProviderError);
    await expect(failure).rejects.toThrow('the deadline passed while calling sim-small');
    expect(calls[0].signal.aborted).toBe(true);
  });

  it('ends the adapter’s stream when the caller stops reading', async () => {
    let ended = false;
    const { provider } = scripted(
      [],
      [
        async function* (call) {
          try {
            yield { type: 'text', text: 'first' };
            await hanging(call);
          } finally {
            ended = true;
          }
        },
      ],
    );
    const stream = await resilient(provider).openStream(simSmall, request, callOptions().options);
    await stream.next();
    await stream.return?.();
    expect(ended).toBe(true);
    await expect(stream.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('refuses a stream while the circuit is open', async () => {
    const { provider, calls } = scripted(
      [],
      [
        // eslint-disable-next-line require-yield
        async function* () {
          throw unavailable();
        },
      ],
    );
    const providers = resilient(provider, {
      retries: 0,
      breaker: { failureRatio: 0.5, windowMs: 10_000, minCalls: 2, openMs: 60_000 },
    });
    for (let i = 0; i < 2; i++) {
      await expect(providers.openStream(simSmall, request, callOptions().options)).rejects.toThrow(
        'service unavailable',
      );
    }
    await expect(
      providers.openStream(simSmall, request, callOptions().options),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toHaveLength(2);
  });
});
