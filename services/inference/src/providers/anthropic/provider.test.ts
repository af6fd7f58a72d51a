// The Anthropic adapter against the sim upstream, a real HTTP server speaking the Messages API.
import { countChatTokens, countTokens } from '@keel/catalog';
import { common, inference, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import { WEATHER, chunksOf, failureOf, message, requestsFor, textOf } from '../adapter.fixture';
import { AnthropicProvider } from './provider';
import { JSON_INSTRUCTION } from './wire';

const SECRET = 'sk-ant-keel-test-81be';
const { MESSAGE_ROLE_USER: USER } = common.MessageRole;
const { MESSAGE_ROLE_ASSISTANT: ASSISTANT, MESSAGE_ROLE_TOOL: TOOL } = common.MessageRole;
const { FinishReason } = inference;
const model = router.Model.fromPartial({
  name: 'claude-small',
  provider: 'anthropic',
  providerModel: 'sim-claude',
  tokenizer: 'o200k_base',
});

const requestOf = requestsFor(model);

let upstream: SimUpstream;
let provider: AnthropicProvider;

const providerWith = (apiKey: string | undefined) =>
  new AnthropicProvider({
    name: 'anthropic',
    baseUrl: upstream.url,
    apiKey,
    defaultHeaders: { 'x-keel-team': 'search' },
  });

beforeAll(async () => {
  upstream = await startSimUpstream({ secret: SECRET });
  provider = providerWith(SECRET);
});
afterAll(() => upstream.stop());
beforeEach(() => upstream.reset());

describe('complete', () => {
  it('sends the key, the default headers, system on top and the parameters, and answers with usage', async () => {
    const request = requestOf('How do keels steady boats?', {
      temperature: 0.2,
      topP: 0.9,
      stop: ['END'],
    });
    const response = await provider.complete(request);
    const sent = upstream.lastRequest();
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers).toMatchObject({
      authorization: `Bearer ${SECRET}`,
      'x-keel-team': 'search',
    });
    expect(sent?.body).toEqual({
      model: 'sim-claude',
      max_tokens: 256,
      system: 'You answer briefly.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'How do keels steady boats?' }] }],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
    });
    expect(response.text).toMatch(/^You asked about keels, steady and boats\./);
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

  it('counts cache reads in the input, as cached input', async () => {
    const request = requestOf('Why is the sea salty?');
    const first = await provider.complete(request);
    const repeat = await provider.complete(request);
    // Anthropic's input_tokens leaves the cache reads out; Keel's input holds them.
    expect(repeat.usage.inputTokens).toBe(first.usage.inputTokens);
    expect(first.usage.cachedInputTokens).toBe(0n);
    expect(repeat.usage.cachedInputTokens).toBeGreaterThan(0n);
    expect(repeat.usage.cachedInputTokens).toBeLessThan(repeat.usage.inputTokens);
  });

  it('finishes with LENGTH at max_tokens and with STOP at a stop sequence', async () => {
    const cut = await provider.complete(requestOf('Tell me about tides', { maxTokens: 3 }));
    expect(cut.finishReason).toBe(FinishReason.FINISH_REASON_LENGTH);
    const whole = await provider.complete(requestOf('Tell me about tides'));
    const stopped = await provider.complete(
      requestOf('Tell me about tides', { stop: [whole.text.split(' ')[3]] }),
    );
    expect(stopped.finishReason).toBe(FinishReason.FINISH_REASON_STOP);
    expect(stopped.text.length).toBeLessThan(whole.text.length);
  });

  it('asks for JSON output in the system prompt', async () => {
    await provider.complete(
      requestOf('Give me a JSON answer', {
        responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT,
      }),
    );
    expect(upstream.lastRequest()?.body).toMatchObject({
      system: `You answer briefly.\n\n${JSON_INSTRUCTION}`,
    });
  });

  it('sends no key for a provider without one', async () => {
    upstream.configure({ secret: undefined });
    try {
      await providerWith(undefined).complete(requestOf('Hello there'));
      const { headers } = upstream.lastRequest() ?? {};
      expect(headers).not.toHaveProperty('authorization');
      expect(headers).not.toHaveProperty('x-api-key');
    } finally {
      upstream.configure({ secret: SECRET });
    }
  });
});

describe('tools', () => {
  it('round-trips a tool call: tool_use, its result as a tool_result block, then the answer', async () => {
    const ask = requestOf('What is the weather in Lisbon?', {
      tools: [WEATHER],
      toolChoice: 'required',
    });
    const call = await provider.complete(ask);
    expect(upstream.lastRequest()?.body).toMatchObject({
      tools: [
        {
          name: 'get_weather',
          description: 'The weather in a city',
          input_schema: { type: 'object', required: ['city'] },
        },
      ],
      tool_choice: { type: 'any' },
    });
    expect(call.finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
    expect(call.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^toolu_/),
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
        { role: 'user' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: toolCall.id, name: 'get_weather', input: { city: 'Lisbon' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolCall.id, content: '{"sky":"clear"}' }],
        },
      ],
    });
    expect(answer.text).toMatch(/^The tool returned \{"sky":"clear"\}\./);
    expect(answer.finishReason).toBe(FinishReason.FINISH_REASON_STOP);
  });

  it('merges consecutive tool results into one user message', async () => {
    const calls = ['a', 'b'].map((id) =>
      common.ToolCall.fromPartial({ id, name: 'get_weather', argumentsJson: '{"city":"Oslo"}' }),
    );
    await provider.complete(
      requestOf('', {
        tools: [WEATHER],
        messages: [
          message(USER, 'Weather in Oslo twice?'),
          common.ChatMessage.fromPartial({ role: ASSISTANT, toolCalls: calls }),
          common.ChatMessage.fromPartial({ role: TOOL, toolCallId: 'a', content: 'sunny' }),
          common.ChatMessage.fromPartial({ role: TOOL, toolCallId: 'b', content: 'rainy' }),
        ],
      }),
    );
    const { messages } = upstream.lastRequest()?.body as { messages: unknown[] };
    expect(messages).toHaveLength(3);
    expect(messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'a', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'b', content: 'rainy' },
      ],
    });
  });

  it('streams a tool call as one chunk with its arguments whole', async () => {
    const chunks = await chunksOf(
      provider,
      requestOf('Weather please, for Reykjavik', { tools: [WEATHER], toolChoice: 'get_weather' }),
    );
    expect(upstream.lastRequest()?.body).toMatchObject({
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    expect(chunks.filter((chunk) => chunk.type === 'tool_call')).toEqual([
      {
        type: 'tool_call',
        toolCall: {
          id: expect.stringMatching(/^toolu_/),
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

  it('sends tool_choice none and auto', async () => {
    await provider.complete(requestOf('Hi', { tools: [WEATHER], toolChoice: 'none' }));
    expect(upstream.lastRequest()?.body).toMatchObject({ tool_choice: { type: 'none' } });
    await provider.complete(requestOf('Hi', { tools: [WEATHER] }));
    expect(upstream.lastRequest()?.body).toMatchObject({ tool_choice: { type: 'auto' } });
  });

  it('refuses tool JSON that is not an object before any call', async () => {
    const broken = common.Tool.fromPartial({ name: 'broken', parametersJsonSchema: '[1, 2]' });
    await expect(provider.complete(requestOf('Hi', { tools: [broken] }))).rejects.toEqual(
      new InvalidArgumentError('tools[0].parameters_json_schema', 'must be a JSON object'),
    );
    const badCall = common.ChatMessage.fromPartial({
      role: ASSISTANT,
      toolCalls: [{ id: 'a', name: 'get_weather', argumentsJson: '{city' }],
    });
    const request = requestOf('', { messages: [message(USER, 'Hi'), badCall] });
    await expect(chunksOf(provider, request)).rejects.toEqual(
      new InvalidArgumentError('messages[1].tool_calls[0].arguments_json', 'is not valid JSON'),
    );
    expect(upstream.counters().requests).toBe(0);
  });
});

describe('stream', () => {
  it('streams the text of the answer, then its finish reason and the usage reported', async () => {
    const request = requestOf('Describe a lighthouse');
    const chunks = await chunksOf(provider, request);
    expect(upstream.lastRequest()?.body).toMatchObject({ stream: true });
    expect(chunks.filter((chunk) => chunk.type === 'text').length).toBeGreaterThan(1);
    upstream.reset();
    const whole = await provider.complete(request);
    expect(textOf(chunks)).toBe(whole.text);
    expect(chunks[chunks.length - 1]).toEqual({
      type: 'end',
      finishReason: FinishReason.FINISH_REASON_STOP,
      usage: whole.usage,
    });
  });

  it('fails after its first chunks with the input reported and the output delivered, estimated', async () => {
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
    expect(failure.usage).toEqual(
      common.Usage.fromPartial({
        inputTokens: BigInt((await countChatTokens(model, request.messages)).tokens),
        outputTokens: BigInt((await countTokens(model, delivered.join(''))).tokens),
        estimated: true,
      }),
    );
  });
});

describe('failures', () => {
  const failing = (directive: string) => failureOf(provider.complete(requestOf(`Hi ${directive}`)));

  it('says a 529 (overloaded) is transient', async () => {
    const failure = await failing('[sim:status=529]');
    expect(failure).toMatchObject({ transient: true, httpStatus: 529 });
  });

  it('says a 429 is transient and passes on its Retry-After', async () => {
    const failure = await failing('[sim:status=429,retry-after=3]');
    expect(failure).toMatchObject({ transient: true, httpStatus: 429, retryAfterMs: 3000 });
  });

  it('says a 400 is not transient', async () => {
    expect(await failing('[sim:status=400]')).toMatchObject({ transient: false, httpStatus: 400 });
  });

  it('says a reset connection is transient, with no status', async () => {
    const failure = await failing('[sim:reset]');
    expect(failure).toMatchObject({ transient: true, httpStatus: undefined });
    expect(failure.message).toBe('anthropic: connection failed (ECONNRESET)');
  });

  it('says a refused key is not transient, without quoting the key', async () => {
    const wrongKey = 'sk-ant-keel-test-wrong-55aa';
    const failure = await failureOf(providerWith(wrongKey).complete(requestOf('Hi')));
    expect(failure).toMatchObject({ transient: false, httpStatus: 401 });
    expect(upstream.counters().unauthorized).toBe(1);
    expect(failure.message).not.toContain(wrongKey);
  });

  it('aborts the HTTP request when its signal aborts, as an abandoned call', async () => {
    const abort = new AbortController();
    const pending = failureOf(
      provider.complete(requestOf('Hi [sim:hang]', { signal: abort.signal })),
    );
    await eventually(() => upstream.counters().requests === 1, { what: 'the request received' });
    abort.abort();
    const failure = await pending;
    expect(failure.message).toBe('anthropic: the call was abandoned');
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
      expect(failure.message).toBe('anthropic: the call was abandoned');
      expect(failure.usage).toEqual(
        common.Usage.fromPartial({
          inputTokens: BigInt((await countChatTokens(model, request.messages)).tokens),
          outputTokens: BigInt((await countTokens(model, delivered.join(''))).tokens),
          estimated: true,
        }),
      );
    } finally {
      upstream.configure({ tokensPerSecond: 0 });
    }
  });
});
