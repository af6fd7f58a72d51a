import OpenAI from 'openai';
import { countTokens } from '@keel/catalog';
import { router } from '@keel/contracts';
import { type SimUpstream, startSimUpstream } from './index';

const SECRET = 'sk-sim-openai';
const O200K = router.Model.fromPartial({ tokenizer: 'o200k_base' });
const WEATHER_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city'],
    },
  },
};

let sim: SimUpstream;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimUpstream({ secret: SECRET });
  client = new OpenAI({
    baseURL: `${sim.url}/v1`,
    apiKey: SECRET,
    maxRetries: 0,
    defaultHeaders: { 'x-keel-test': 'default-header' },
  });
});
afterAll(() => sim.stop());
beforeEach(() => sim.reset());

const tokens = async (text: string) => (await countTokens(O200K, text)).tokens;

test('a completion answers with text, finish_reason stop and usage counted in o200k_base', async () => {
  const completion = await client.chat.completions.create({
    model: 'sim-a',
    messages: [{ role: 'user', content: 'Explain how a keel steadies a sailing boat' }],
  });
  const text = completion.choices[0].message.content ?? '';
  expect(text).toContain('You asked about explain, keel and steadies.');
  expect(completion.choices[0].finish_reason).toBe('stop');
  expect(completion.usage?.completion_tokens).toBe(await tokens(text));
  // 3 per message + role + content, and 3 to prime the reply.
  const prompt =
    3 + (await tokens('user')) + (await tokens('Explain how a keel steadies a sailing boat')) + 3;
  expect(completion.usage?.prompt_tokens).toBe(prompt);
  expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(0);
  expect(sim.counters()).toMatchObject({
    requests: 1,
    answered: 1,
    byModel: { 'sim-a': 1 },
    byPath: { '/v1/chat/completions': 1 },
  });
});

test('a stream sends the same answer in deltas and ends with a usage chunk', async () => {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Which knots hold best under load?' },
  ];
  const whole = await client.chat.completions.create({ model: 'sim-a', messages });
  const stream = await client.chat.completions.create({
    model: 'sim-a',
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  const deltas: string[] = [];
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    if (chunk.choices.length === 0) usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.delta.content) deltas.push(choice.delta.content);
      finish = choice.finish_reason ?? finish;
    }
  }
  expect(deltas.length).toBeGreaterThan(5);
  expect(deltas.join('')).toBe(whole.choices[0].message.content);
  expect(finish).toBe('stop');
  expect(usage?.prompt_tokens).toBe(whole.usage?.prompt_tokens);
  expect(usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
});

test('max_tokens cuts the answer with finish_reason length; stop ends it before the sequence', async () => {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'user', content: 'Describe rigging, halyards and sheets in detail' },
  ];
  const cut = await client.chat.completions.create({ model: 'sim-a', messages, max_tokens: 5 });
  expect(cut.choices[0].finish_reason).toBe('length');
  expect(cut.usage?.completion_tokens).toBeLessThanOrEqual(5);
  expect(cut.usage?.completion_tokens).toBe(await tokens(cut.choices[0].message.content ?? ''));

  const stopped = await client.chat.completions.create({
    model: 'sim-a',
    messages,
    stop: ['halyards'],
  });
  expect(stopped.choices[0].message.content).toBe('You asked about describe, rigging and ');
  expect(stopped.choices[0].finish_reason).toBe('stop');
});

test('JSON mode answers one JSON object', async () => {
  const completion = await client.chat.completions.create({
    model: 'sim-a',
    messages: [{ role: 'user', content: 'List three sail types' }],
    response_format: { type: 'json_object' },
  });
  const answer = JSON.parse(completion.choices[0].message.content ?? '') as { answer: string };
  expect(answer.answer).toContain('You asked about list, three and sail.');
});

test('sampling parameters reach the upstream and change the answer', async () => {
  const ask = (temperature: number, top_p: number) =>
    client.chat.completions.create({
      model: 'sim-a',
      messages: [{ role: 'user', content: 'How is a mast stepped?' }],
      temperature,
      top_p,
    });
  const cold = await ask(0, 1);
  expect(sim.lastRequest()?.body).toMatchObject({ temperature: 0, top_p: 1 });
  const warm = await ask(1.5, 0.5);
  expect(sim.lastRequest()?.body).toMatchObject({ temperature: 1.5, top_p: 0.5 });
  expect(warm.choices[0].message.content).not.toBe(cold.choices[0].message.content);
  expect((await ask(0, 1)).choices[0].message.content).toBe(cold.choices[0].message.content);
});

test('a model named *-reasoning reports reasoning tokens within its completion tokens', async () => {
  const completion = await client.chat.completions.create({
    model: 'sim-reasoning',
    messages: [{ role: 'user', content: 'Why do boats heel?' }],
  });
  const reasoning = completion.usage?.completion_tokens_details?.reasoning_tokens ?? 0;
  expect(reasoning).toBeGreaterThan(0);
  expect(completion.usage?.completion_tokens).toBe(
    reasoning + (await tokens(completion.choices[0].message.content ?? '')),
  );
});

test('a repeated prompt reads all but its last message from the prompt cache', async () => {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You answer questions about sailing boats in plain words.' },
    { role: 'user', content: 'What is a jib?' },
  ];
  const first = await client.chat.completions.create({ model: 'sim-a', messages });
  const again = await client.chat.completions.create({ model: 'sim-a', messages });
  expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  const lastMessage = 3 + (await tokens('user')) + (await tokens('What is a jib?'));
  expect(again.usage?.prompt_tokens_details?.cached_tokens).toBe(
    (again.usage?.prompt_tokens ?? 0) - lastMessage,
  );
});

test('tools round trip: a streamed tool call with JSON arguments, then an answer to its result', async () => {
  const ask: OpenAI.ChatCompletionMessageParam = {
    role: 'user',
    content: '[sim:tool=get_weather] What is the weather in Lisbon',
  };
  const stream = await client.chat.completions.create({
    model: 'sim-a',
    messages: [ask],
    tools: [WEATHER_TOOL],
    stream: true,
  });
  const pieces: string[] = [];
  let id = '';
  let name = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    for (const call of choice?.delta.tool_calls ?? []) {
      id ||= call.id ?? '';
      name ||= call.function?.name ?? '';
      if (call.function?.arguments) pieces.push(call.function.arguments);
    }
    finish = choice?.finish_reason ?? finish;
  }
  expect(finish).toBe('tool_calls');
  expect(name).toBe('get_weather');
  expect(pieces.length).toBeGreaterThan(1);
  expect(JSON.parse(pieces.join(''))).toEqual({ city: 'Lisbon', days: 42 });

  const whole = await client.chat.completions.create({
    model: 'sim-a',
    messages: [ask],
    tools: [WEATHER_TOOL],
  });
  expect(whole.choices[0].finish_reason).toBe('tool_calls');
  const call = whole.choices[0].message.tool_calls?.[0];
  expect(call?.id).toBe(id);

  const followUp = await client.chat.completions.create({
    model: 'sim-a',
    tools: [WEATHER_TOOL],
    messages: [
      ask,
      whole.choices[0].message,
      { role: 'tool', tool_call_id: id, content: 'sunny and 24 degrees' },
    ],
  });
  expect(followUp.choices[0].finish_reason).toBe('stop');
  expect(followUp.choices[0].message.content).toContain('The tool returned sunny and 24 degrees.');
});

test('tool_choice naming a tool calls it without a directive', async () => {
  const completion = await client.chat.completions.create({
    model: 'sim-a',
    messages: [{ role: 'user', content: 'Plan the passage' }],
    tools: [WEATHER_TOOL],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  });
  expect(completion.choices[0].message.tool_calls?.[0]).toMatchObject({
    type: 'function',
    function: { name: 'get_weather' },
  });
});

test('a request without the secret gets 401 in OpenAI shape and is counted', async () => {
  const stranger = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  await expect(
    stranger.chat.completions.create({
      model: 'sim-a',
      messages: [{ role: 'user', content: 'hi' }],
    }),
  ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
  expect(sim.counters()).toMatchObject({ requests: 1, unauthorized: 1, answered: 0 });
});

test('the configured secret and default headers arrive at the upstream', async () => {
  await client.chat.completions.create({
    model: 'sim-a',
    messages: [{ role: 'user', content: 'hi' }],
  });
  expect(sim.lastRequest()?.headers).toMatchObject({
    authorization: `Bearer ${SECRET}`,
    'x-keel-test': 'default-header',
  });
});

test('an invalid request gets 400 in OpenAI shape naming the parameter', async () => {
  await expect(
    client.chat.completions.create({
      model: 'sim-a',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 3,
    }),
  ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('temperature') });
  await expect(
    client.chat.completions.create({
      model: 'sim-a',
      messages: [{ role: 'tool', content: 'orphan' } as OpenAI.ChatCompletionMessageParam],
    }),
  ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('tool_call_id') });
});
