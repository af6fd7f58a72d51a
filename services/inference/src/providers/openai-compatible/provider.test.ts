// The OpenAI-compatible adapter against the sim upstream, a real HTTP server speaking OpenAI's
// chat completions wire format.
import { type Server, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countChatTokens, countTokens } from '@keel/catalog';
import { common, inference, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import { WEATHER, chunksOf, failureOf, requestsFor, textOf } from '../adapter.fixture';
import { OpenAiCompatibleProvider } from './provider';

const SECRET = 'sk-keel-test-openai-3f9a';
const { MESSAGE_ROLE_ASSISTANT: ASSISTANT, MESSAGE_ROLE_TOOL: TOOL } = common.MessageRole;
const { FinishReason } = inference;
const model = router.Model.fromPartial({
  name: 'chat-small',
  provider: 'upstream',
  providerModel: 'sim-chat',
  tokenizer: 'o200k_base',
});

const requestOf = requestsFor(model);

let upstream: SimUpstream;
let provider: OpenAiCompatibleProvider;

const providerAt = (baseUrl: string, { apiKey }: { apiKey?: string } = { apiKey: SECRET }) =>
  new OpenAiCompatibleProvider({
    name: 'upstream',
    baseUrl,
    apiKey,
    defaultHeaders: { 'x-keel-team': 'search' },
  });

beforeAll(async () => {
  upstream = await startSimUpstream({ secret: SECRET });
  provider = providerAt(`${upstream.url}/v1`);
});
afterAll(() => upstream.stop());
beforeEach(() => upstream.reset());

describe('complete', () => {
  it('sends the key, the default headers and the parameters, and answers with usage as reported', async () => {
    const request = requestOf('How do keels steady boats?', {
      temperature: 0.2,
      topP: 0.9,
      stop: ['END'],
      responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT,
    });
    const response = await provider.complete(request);
    const sent = upstream.lastRequest();
    expect(sent?.headers).toMatchObject({
      authorization: `Bearer ${SECRET}`,
      'x-keel-team': 'search',
    });
    expect(sent?.body).toMatchObject({
      model: 'sim-chat',
      messages: [
        { role: 'system', content: 'You answer briefly.' },
        { role: 'user', content: 'How do keels steady boats?' },
      ],
      max_completion_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      response_format: { type: 'json_object' },
    });
    expect(sent?.body).not.toHaveProperty('stream');
    // JSON mode: the sim answers one JSON object.
    expect(JSON.parse(response.text)).toEqual({ answer: expect.stringContaining('keels') });
    expect(response).toMatchObject({
      toolCalls: [],
      finishReason: FinishReason.FINISH_REASON_STOP,
    });
    expect(response.usage).toEqual(
      common.Usage.fromPartial({
        inputTokens: BigInt((await countChatTokens(model, request.messages)).tokens),
        outputTokens: BigInt((await countTokens(model, response.text)).tokens),
        estimated: false,
      }),
    );
  });

  it('reports cached input and reasoning tokens where the provider reports them', async () => {
    const reasoning = { ...model, providerModel: 'sim-reasoning' };
    const request = requestOf('Why is the sea salty?', { model: reasoning });
    const first = await provider.complete(request);
    const repeat = await provider.complete(request);
    expect(first.usage.cachedInputTokens).toBe(0n);
    // The repeat reads all but its last message from the prompt cache.
    expect(repeat.usage.cachedInputTokens).toBeGreaterThan(0n);
    expect(repeat.usage.cachedInputTokens).toBeLessThan(repeat.usage.inputTokens);
    expect(repeat.usage.reasoningTokens).toBeGreaterThan(0n);
    expect(repeat.usage.outputTokens).toBe(
      repeat.usage.reasoningTokens + BigInt((await countTokens(model, repeat.text)).tokens),
    );
  });

  it('finishes with LENGTH when max_tokens cuts the answer', async () => {
    const response = await provider.complete(requestOf('Tell me about tides', { maxTokens: 3 }));
    expect(response.finishReason).toBe(FinishReason.FINISH_REASON_LENGTH);
    expect(response.usage.outputTokens).toBeLessThanOrEqual(3n);
  });

  it('sends no Authorization header for a provider without a key', async () => {
    upstream.configure({ secret: undefined });
    try {
      await providerAt(`${upstream.url}/v1`, {}).complete(requestOf('Hello there'));
      expect(upstream.lastRequest()?.headers).not.toHaveProperty('authorization');
    } finally {
      upstream.configure({ secret: SECRET });
    }
  });
});

describe('tools', () => {
  it('round-trips a tool call: the call, its result as a tool message, then the answer', async () => {
    const ask = requestOf('What is the weather in Lisbon?', {
      tools: [WEATHER],
      toolChoice: 'required',
    });
    const call = await provider.complete(ask);
    expect(upstream.lastRequest()?.body).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a city',
            parameters: { type: 'object', required: ['city'] },
          },
        },
      ],
      tool_choice: 'required',
    });
    expect(call.finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
    expect(call.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        name: 'get_weather',
        argumentsJson: '{"city":"Lisbon"}',
      },
    ]);

    const [toolCall] = call.toolCalls;
    const answer = await provider.complete({
      ...ask,
      messages: [
        ...ask.messages,
        common.ChatMessage.fromPartial({ role: ASSISTANT, toolCalls: call.toolCalls }),
        common.ChatMessage.fromPartial({
          role: TOOL,
          toolCallId: toolCall.id,
          content: '{"sky":"clear"}',
        }),
      ],
    });
    expect(upstream.lastRequest()?.body).toMatchObject({
      messages: [
        { role: 'system' },
        { role: 'user' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: toolCall.id,
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: toolCall.id, content: '{"sky":"clear"}' },
      ],
    });
    expect(answer.text).toMatch(/^The tool returned \{"sky":"clear"\}\./);
    expect(answer.finishReason).toBe(FinishReason.FINISH_REASON_STOP);
  });

  it('streams a tool call as one chunk with its arguments whole', async () => {
    const chunks = await chunksOf(
      provider,
      requestOf('Weather please, for Reykjavik', { tools: [WEATHER], toolChoice: 'get_weather' }),
    );
    expect(upstream.lastRequest()?.body).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(chunks.filter((chunk) => chunk.type === 'tool_call')).toEqual([
      {
        type: 'tool_call',
        toolCall: {
          id: expect.stringMatching(/^call_/),
          name: 'get_weather',
          argumentsJson: '{"city":"Reykjavik"}',
        },
      },
    ]);
    expect(chunks[chunks.length - 1]).toMatchObject({
      type: 'end',
      finishReason: FinishReason.FINISH_REASON_TOOL_CALLS,
    });
  });

  it('sends tool_choice none and auto as they are', async () => {
    await provider.complete(requestOf('Hi', { tools: [WEATHER], toolChoice: 'none' }));
    expect(upstream.lastRequest()?.body).toMatchObject({ tool_choice: 'none' });
    await provider.complete(requestOf('Hi', { tools: [WEATHER] }));
    expect(upstream.lastRequest()?.body).toMatchObject({ tool_choice: 'auto' });
  });

  it('refuses a tool schema that is not JSON before any call', async () => {
    const broken = common.Tool.fromPartial({ name: 'broken', parametersJsonSchema: '{type:' });
    const request = requestOf('Hi', { tools: [WEATHER, broken] });
    await expect(provider.complete(request)).rejects.toEqual(
      new InvalidArgumentError('tools[1].parameters_json_schema', 'is not valid JSON'),
    );
    await expect(chunksOf(provider, request)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(upstream.counters().requests).toBe(0);
  });
});

describe('stream', () => {
  it('streams the text of the answer, then its finish reason and the usage reported', async () => {
    const request = requestOf('Describe a lighthouse');
    const chunks = await chunksOf(provider, request);
    expect(upstream.lastRequest()?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = chunks.filter((chunk) => chunk.type === 'text');
    expect(texts.length).toBeGreaterThan(1);
    upstream.reset();
    const whole = await provider.complete(request);
    expect(textOf(chunks)).toBe(whole.text);
    expect(chunks[chunks.length - 1]).toEqual({
      type: 'end',
      finishReason: FinishReason.FINISH_REASON_STOP,
      usage: whole.usage,
    });
  });

  it('counts the usage, marked estimated, when the provider sends none', async () => {
    // Some OpenAI-compatible servers ignore stream_options: this one drops it on the way.
    const server = await startUsageDroppingProxy(upstream.port);
    try {
      const port = (server.address() as AddressInfo).port;
      const request = requestOf('Describe a harbour');
      const chunks = await chunksOf(providerAt(`http://127.0.0.1:${port}/v1`), request);
      expect(upstream.lastRequest()?.body).not.toHaveProperty('stream_options');
      expect(chunks[chunks.length - 1]).toEqual({
        type: 'end',
        finishReason: FinishReason.FINISH_REASON_STOP,
        usage: common.Usage.fromPartial({
          inputTokens: BigInt((await countChatTokens(model, request.messages)).tokens),
          outputTokens: BigInt((await countTokens(model, textOf(chunks))).tokens),
          estimated: true,
        }),
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails after its first chunks with the usage of what it delivered, estimated', async () => {
    const request = requestOf('Describe a storm [sim:fail-after=3]');
    const delivered: string[] = [];
    const failure = await failureOf(
      (async () => {
        for await (const chunk of provider.stream(request)) {
          if (chunk.type === 'text') delivered.push(chunk.text);
        }
      })(),
    );
    expect(delivered).toHaveLength(3);
    expect(failure).toMatchObject({ transient: true, httpStatus: undefined });
    expect(failure.message).toMatch(/^upstream: connection failed/);
    expect(failure.usage).toEqual(
      common.Usage.fromPartial({
        inputTokens: BigInt((await countChatTokens(model, request.messages)).tokens),
        outputTokens: BigInt((await countTokens(model, delivered.join(''))).tokens),
        estimated: true,
      }),
    );
  });

  it('fails before its first chunk like a whole call', async () => {
    const iterator = provider.stream(requestOf('Hi [sim:status=503]'))[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ transient: true, httpStatus: 503 });
  });
});

describe('failures', () => {
  const failing = (directive: string) => failureOf(provider.complete(requestOf(`Hi ${directive}`)));

  it('says a 500 is transient', async () => {
    const failure = await failing('[sim:status=500]');
    expect(failure).toMatchObject({ transient: true, httpStatus: 500, retryAfterMs: undefined });
    expect(failure.message).toBe('upstream: 500 injected HTTP 500');
  });

  it('says a 429 is transient and passes on its Retry-After', async () => {
    const failure = await failing('[sim:status=429,retry-after=2]');
    expect(failure).toMatchObject({ transient: true, httpStatus: 429, retryAfterMs: 2000 });
  });

  it('says a 400 is not transient', async () => {
    const failure = await failing('[sim:status=400]');
    expect(failure).toMatchObject({ transient: false, httpStatus: 400 });
  });

  it('says a reset connection is transient, with no status', async () => {
    const failure = await failing('[sim:reset]');
    expect(failure).toMatchObject({ transient: true, httpStatus: undefined });
    expect(failure.message).toMatch(/^upstream: connection failed \(\w+\)$/);
  });

  it('says a refused key is not transient, without quoting the key', async () => {
    const wrongKey = 'sk-keel-test-wrong-7c1d';
    const failure = await failureOf(
      providerAt(`${upstream.url}/v1`, { apiKey: wrongKey }).complete(requestOf('Hi')),
    );
    expect(failure).toMatchObject({ transient: false, httpStatus: 401 });
    expect(upstream.counters().unauthorized).toBe(1);
    expect(JSON.stringify({ ...failure, message: failure.message })).not.toContain(wrongKey);
  });

  it('aborts the HTTP request when its signal aborts, as an abandoned call', async () => {
    const abort = new AbortController();
    const pending = failureOf(
      provider.complete(requestOf('Hi [sim:hang]', { signal: abort.signal })),
    );
    await eventually(() => upstream.counters().requests === 1, { what: 'the request received' });
    abort.abort();
    const failure = await pending;
    expect(failure.message).toBe('upstream: the call was abandoned');
    expect(failure).toMatchObject({ transient: true, outage: false });
  });

  it('aborts a stream mid-answer, billing what it delivered', async () => {
    upstream.configure({ tokensPerSecond: 50 });
    try {
      const abort = new AbortController();
      const request = requestOf('Describe the tide', { signal: abort.signal });
      const delivered: string[] = [];
      const failure = await failureOf(
        (async () => {
          for await (const chunk of provider.stream(request)) {
            if (chunk.type !== 'text') continue;
            delivered.push(chunk.text);
            if (delivered.length === 2) abort.abort();
          }
        })(),
      );
      expect(failure.message).toBe('upstream: the call was abandoned');
      expect(failure.usage).toMatchObject({
        outputTokens: BigInt((await countTokens(model, delivered.join(''))).tokens),
        estimated: true,
      });
    } finally {
      upstream.configure({ tokensPerSecond: 0 });
    }
  });
});

/** A proxy to the upstream that removes `stream_options` from each request body. */
async function startUsageDroppingProxy(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      delete body.stream_options;
      const headers = { ...req.headers };
      delete headers['content-length'];
      const forwarded = httpRequest(
        {
          port,
          host: '127.0.0.1',
          path: req.url,
          method: req.method,
          headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
