import Anthropic from '@anthropic-ai/sdk';
import { countTokens } from '@keel/catalog';
import { router } from '@keel/contracts';
import { type SimUpstream, startSimUpstream } from './index';

const SECRET = 'sk-ant-sim';
const O200K = router.Model.fromPartial({ tokenizer: 'o200k_base' });
const WEATHER_TOOL: Anthropic.Tool = {
  name: 'get_weather',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

let sim: SimUpstream;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimUpstream({ secret: SECRET });
  client = new Anthropic({ baseURL: sim.url, apiKey: SECRET, maxRetries: 0 });
});
afterAll(() => sim.stop());
beforeEach(() => sim.reset());

const tokens = async (text: string) => (await countTokens(O200K, text)).tokens;
const textOf = (message: Anthropic.Message) =>
  message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');

test('a message answers with a text block, end_turn and usage counted in o200k_base', async () => {
  const message = await client.messages.create({
    model: 'sim-a',
    max_tokens: 200,
    system: 'You are a harbour master.',
    messages: [{ role: 'user', content: 'Where should visiting yachts moor tonight?' }],
  });
  const text = textOf(message);
  expect(text).toContain('You asked about where, should and visiting.');
  expect(message.stop_reason).toBe('end_turn');
  expect(message.usage.output_tokens).toBe(await tokens(text));
  const turn = async (role: string, content: string) =>
    3 + (await tokens(role)) + (await tokens(content));
  expect(message.usage.input_tokens).toBe(
    (await turn('system', 'You are a harbour master.')) +
      (await turn('user', 'Where should visiting yachts moor tonight?')) +
      3,
  );
  expect(message.usage.cache_read_input_tokens).toBe(0);
  expect(sim.counters()).toMatchObject({ requests: 1, answered: 1, byPath: { '/v1/messages': 1 } });
});

test('a stream sends message_start, text deltas and message_delta with the output tokens', async () => {
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: 'sim-a',
    max_tokens: 200,
    messages: [{ role: 'user', content: 'How do tides affect an anchorage?' }],
  };
  const whole = await client.messages.create(params);
  const events = await client.messages.create({ ...params, stream: true });
  const types: string[] = [];
  const deltas: string[] = [];
  let inputTokens = 0;
  let outputTokens = 0;
  let stopReason: string | null = null;
  for await (const event of events) {
    types.push(event.type);
    if (event.type === 'message_start') {
      // The repeat reads its prefix from the prompt cache: input plus cache reads is the prompt.
      const { usage } = event.message;
      inputTokens = usage.input_tokens + (usage.cache_read_input_tokens ?? 0);
    }
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
      deltas.push(event.delta.text);
    }
    if (event.type === 'message_delta') {
      outputTokens = event.usage.output_tokens;
      stopReason = event.delta.stop_reason;
    }
  }
  expect(types[0]).toBe('message_start');
  expect(types.slice(1, 2)).toEqual(['content_block_start']);
  expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  expect(deltas.length).toBeGreaterThan(5);
  expect(deltas.join('')).toBe(textOf(whole));
  expect(stopReason).toBe('end_turn');
  expect(inputTokens).toBe(whole.usage.input_tokens);
  expect(outputTokens).toBe(whole.usage.output_tokens);
});

test('max_tokens ends with stop_reason max_tokens; a stop sequence ends with stop_sequence', async () => {
  const messages: Anthropic.MessageParam[] = [
    { role: 'user', content: 'Describe rigging, halyards and sheets in detail' },
  ];
  const cut = await client.messages.create({ model: 'sim-a', max_tokens: 4, messages });
  expect(cut.stop_reason).toBe('max_tokens');
  expect(cut.usage.output_tokens).toBeLessThanOrEqual(4);
  const stopped = await client.messages.create({
    model: 'sim-a',
    max_tokens: 200,
    messages,
    stop_sequences: ['halyards'],
  });
  expect(textOf(stopped)).toBe('You asked about describe, rigging and ');
  expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'halyards' });
});

test('a repeated prompt reports its prefix as cache_read_input_tokens', async () => {
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: 'sim-a',
    max_tokens: 100,
    system: 'You answer questions about sailing boats in plain words.',
    messages: [{ role: 'user', content: 'What is a jib?' }],
  };
  const first = await client.messages.create(params);
  const again = await client.messages.create(params);
  expect(first.usage.cache_read_input_tokens).toBe(0);
  expect(again.usage.cache_read_input_tokens).toBeGreaterThan(0);
  expect(again.usage.input_tokens).toBe(
    3 + (await tokens('user')) + (await tokens('What is a jib?')),
  );
  expect(again.usage.input_tokens + (again.usage.cache_read_input_tokens ?? 0)).toBe(
    first.usage.input_tokens,
  );
});

test('tools round trip: a streamed tool_use block, then an answer to its tool_result', async () => {
  const ask: Anthropic.MessageParam = {
    role: 'user',
    content: '[sim:tool=get_weather] What is the weather in Lisbon',
  };
  const events = await client.messages.create({
    model: 'sim-a',
    max_tokens: 200,
    tools: [WEATHER_TOOL],
    messages: [ask],
    stream: true,
  });
  const pieces: string[] = [];
  let started: Anthropic.ContentBlock | undefined;
  let stopReason: string | null = null;
  for await (const event of events) {
    if (event.type === 'content_block_start') started = event.content_block;
    if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') {
      pieces.push(event.delta.partial_json);
    }
    if (event.type === 'message_delta') stopReason = event.delta.stop_reason;
  }
  expect(started).toMatchObject({ type: 'tool_use', name: 'get_weather' });
  expect(pieces.length).toBeGreaterThan(1);
  expect(JSON.parse(pieces.join(''))).toEqual({ city: 'Lisbon' });
  expect(stopReason).toBe('tool_use');

  const whole = await client.messages.create({
    model: 'sim-a',
    max_tokens: 200,
    tools: [WEATHER_TOOL],
    messages: [ask],
  });
  expect(whole.stop_reason).toBe('tool_use');
  const use = whole.content[0] as Anthropic.ToolUseBlock;
  expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } });

  const followUp = await client.messages.create({
    model: 'sim-a',
    max_tokens: 200,
    tools: [WEATHER_TOOL],
    messages: [
      ask,
      { role: 'assistant', content: whole.content },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny and 24 degrees' }],
      },
    ],
  });
  expect(followUp.stop_reason).toBe('end_turn');
  expect(textOf(followUp)).toContain('The tool returned sunny and 24 degrees.');
});

test('tool_choice any calls the first tool without a directive', async () => {
  const message = await client.messages.create({
    model: 'sim-a',
    max_tokens: 100,
    tools: [WEATHER_TOOL],
    tool_choice: { type: 'any' },
    messages: [{ role: 'user', content: 'Plan the passage' }],
  });
  expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather' });
});

test('a request without the secret gets 401 in Anthropic shape and is counted', async () => {
  const response = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'wrong' },
    body: JSON.stringify({
      model: 'sim-a',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  expect(response.status).toBe(401);
  expect(await response.json()).toEqual({
    type: 'error',
    error: { type: 'authentication_error', message: 'invalid API key' },
  });
  expect(sim.counters()).toMatchObject({ requests: 1, unauthorized: 1, answered: 0 });
});

test('the key in x-api-key is accepted', async () => {
  const response = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': SECRET },
    body: JSON.stringify({
      model: 'sim-a',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  expect(response.status).toBe(200);
  expect(sim.lastRequest()?.headers['x-api-key']).toBe(SECRET);
});

test('a request without max_tokens gets 400 invalid_request_error', async () => {
  await expect(
    client.messages.create({
      model: 'sim-a',
      messages: [{ role: 'user', content: 'hi' }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming),
  ).rejects.toMatchObject({
    status: 400,
    error: {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    },
  });
});
