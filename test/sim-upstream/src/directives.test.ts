import Anthropic, { APIError as AnthropicError } from '@anthropic-ai/sdk';
import OpenAI, { APIError as OpenAIError } from 'openai';
import { type SimUpstream, startSimUpstream } from './index';

let sim: SimUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startSimUpstream();
  openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: sim.url, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => sim.stop());
beforeEach(() => sim.reset());

const chat = (content: string, model = 'sim-a', client = openai) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content }] });
const message = (content: string, model = 'sim-a') =>
  anthropic.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content }] });

test('[sim:status=500] answers 500 in each provider shape and counts the fault', async () => {
  await expect(chat('[sim:status=500] hello')).rejects.toMatchObject({
    status: 500,
    type: 'server_error',
  });
  await expect(message('[sim:status=500] hello')).rejects.toMatchObject({
    status: 500,
    error: { type: 'error', error: { type: 'api_error' } },
  });
  expect(sim.counters()).toMatchObject({ requests: 2, answered: 0, faults: { http500: 2 } });
});

test('[sim:status=429,retry-after=1] answers 429 with a Retry-After header', async () => {
  const openaiError = await chat('[sim:status=429,retry-after=1] hello').catch(
    (e: OpenAIError) => e,
  );
  expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
  expect((openaiError as OpenAIError).headers?.get('retry-after')).toBe('1');
  const anthropicError = await message('[sim:status=429,retry-after=1] hello').catch(
    (e: AnthropicError) => e,
  );
  expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
  expect((anthropicError as AnthropicError).headers?.get('retry-after')).toBe('1');
  expect(sim.counters().faults).toEqual({ http429: 2 });
});

test('[sim:status=400] answers 400 invalid_request_error', async () => {
  await expect(chat('[sim:status=400] hello')).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  await expect(message('[sim:status=400] hello')).rejects.toMatchObject({
    status: 400,
    error: { error: { type: 'invalid_request_error' } },
  });
});

test('[sim:reset] drops the connection without a response', async () => {
  await expect(chat('[sim:reset] hello')).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  await expect(message('[sim:reset] hello')).rejects.toBeInstanceOf(Anthropic.APIConnectionError);
  expect(sim.counters()).toMatchObject({ requests: 2, faults: { reset: 2 } });
});

test('[sim:hang] never answers, so the client times out', async () => {
  const impatient = new OpenAI({
    baseURL: `${sim.url}/v1`,
    apiKey: 'x',
    maxRetries: 0,
    timeout: 200,
  });
  // Under jest the SDK's own timeout surfaces as a connection error (its abort reason comes
  // from another realm), so the counters prove the server held the request.
  await expect(chat('[sim:hang] hello', 'sim-a', impatient)).rejects.toBeInstanceOf(
    OpenAI.APIConnectionError,
  );
  expect(sim.counters()).toMatchObject({ requests: 1, answered: 0, faults: { timeout: 1 } });
});

test('[sim:fail-after=3] streams three deltas then drops; unstreamed it answers 500', async () => {
  const received: string[] = [];
  const consume = async () => {
    const stream = await openai.chat.completions.create({
      model: 'sim-a',
      messages: [{ role: 'user', content: '[sim:fail-after=3] tell me about mooring lines' }],
      stream: true,
    });
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) received.push(content);
    }
  };
  await expect(consume()).rejects.toThrow();
  expect(received).toEqual(['You', ' asked', ' about']);

  const events: string[] = [];
  const consumeAnthropic = async () => {
    const stream = await anthropic.messages.create({
      model: 'sim-a',
      max_tokens: 100,
      messages: [{ role: 'user', content: '[sim:fail-after=3] tell me about mooring lines' }],
      stream: true,
    });
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        events.push(event.delta.text);
      }
    }
  };
  await expect(consumeAnthropic()).rejects.toThrow();
  expect(events).toEqual(['You', ' asked', ' about']);

  await expect(chat('[sim:fail-after=3] tell me about mooring lines')).rejects.toMatchObject({
    status: 500,
  });
  expect(sim.counters()).toMatchObject({ requests: 3, answered: 0, faults: { failAfter: 3 } });
});

test('a directive scoped with @model fails only that model', async () => {
  const prompt = '[sim:status=500@sim-b] hello';
  await expect(chat(prompt, 'sim-b')).rejects.toMatchObject({ status: 500 });
  await expect(chat(prompt, 'sim-a')).resolves.toMatchObject({
    choices: [{ finish_reason: 'stop' }],
  });
  expect(sim.counters()).toMatchObject({
    byModel: { 'sim-a': 1, 'sim-b': 1 },
    answered: 1,
    faults: { http500: 1 },
  });
});

test('[sim:fail-first=2] fails the first two identical requests, then answers', async () => {
  const prompt = '[sim:fail-first=2,status=503] hello';
  await expect(chat(prompt)).rejects.toMatchObject({ status: 503 });
  await expect(chat(prompt)).rejects.toMatchObject({ status: 503 });
  await expect(chat(prompt)).resolves.toMatchObject({ choices: [{ finish_reason: 'stop' }] });
  // Another conversation counts on its own.
  await expect(chat(`${prompt} again`)).rejects.toMatchObject({ status: 503 });
  expect(sim.counters()).toMatchObject({ requests: 4, answered: 1, faults: { http503: 3 } });
});

test('an unknown directive is refused with 400 naming it', async () => {
  await expect(chat('[sim:explode] hello')).rejects.toMatchObject({
    status: 400,
    message: expect.stringContaining('unknown directive explode'),
  });
});

test('[sim:reply=<base64url>] answers with exactly that text, only for the model it names', async () => {
  const verdict = 'SCORE: 0.8\nREASON: It follows the rubric, mostly.';
  const prompt = `Grade this. [sim:reply=${Buffer.from(verdict).toString('base64url')}@sim-b]`;
  const scripted = await chat(prompt, 'sim-b');
  expect(scripted.choices[0].message.content).toBe(verdict);
  const other = await chat(prompt, 'sim-a');
  expect(other.choices[0].message.content).not.toBe(verdict);
  await expect(chat('[sim:reply=not+base64] hi')).rejects.toMatchObject({ status: 400 });
});
