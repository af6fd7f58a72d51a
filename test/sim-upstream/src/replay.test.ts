import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { countTokens } from '@keel/catalog';
import { router } from '@keel/contracts';
import { DEFAULT_REPLAY_FILE, type SimUpstream, startSimUpstream } from './index';

interface Gsm8kRecord {
  prompt: string;
  weak: { response: string };
  strong: { response: string };
}

const O200K = router.Model.fromPartial({ tokenizer: 'o200k_base' });

let sim: SimUpstream;
let openai: OpenAI;
let anthropic: Anthropic;
let record: Gsm8kRecord;

beforeAll(async () => {
  const lines = (await readFile(DEFAULT_REPLAY_FILE, 'utf8')).split('\n');
  record = JSON.parse(lines[1]) as Gsm8kRecord;
  sim = await startSimUpstream();
  openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: sim.url, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => sim.stop());

test('the weak model replays its recorded gsm8k response with its real token count', async () => {
  const completion = await openai.chat.completions.create({
    model: 'weak',
    messages: [{ role: 'user', content: record.prompt }],
  });
  expect(completion.choices[0].message.content).toBe(record.weak.response);
  expect(completion.usage?.completion_tokens).toBe(
    (await countTokens(O200K, record.weak.response)).tokens,
  );
});

test('the strong model replays its recorded response in the Anthropic format too', async () => {
  const message = await anthropic.messages.create({
    model: 'strong',
    max_tokens: 1000,
    messages: [{ role: 'user', content: record.prompt }],
  });
  expect(message.content).toEqual([{ type: 'text', text: record.strong.response }]);
  expect(message.usage.output_tokens).toBe(
    (await countTokens(O200K, record.strong.response)).tokens,
  );
});

test('a prompt the file does not record is refused with 404 in the provider shape', async () => {
  await expect(
    openai.chat.completions.create({
      model: 'weak',
      messages: [{ role: 'user', content: 'What is the airspeed of a swallow?' }],
    }),
  ).rejects.toMatchObject({ status: 404, code: 'prompt_not_found' });
  await expect(
    anthropic.messages.create({
      model: 'strong',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'What is the airspeed of a swallow?' }],
    }),
  ).rejects.toMatchObject({ status: 404, error: { error: { type: 'not_found_error' } } });
});

test('the replay file and the model-to-field mapping are configurable', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sim-replay-'));
  const file = path.join(dir, 'answers.jsonl');
  await writeFile(
    file,
    `${JSON.stringify({ prompt: 'Two plus two?', small: { response: 'Four.', output_tokens: 9 } })}\n`,
  );
  const custom = await startSimUpstream({
    replayFile: file,
    replayModels: { 'mixtral-8x7b': 'small' },
  });
  try {
    const client = new OpenAI({ baseURL: `${custom.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'mixtral-8x7b',
      messages: [{ role: 'user', content: 'Two plus two?' }],
    });
    expect(completion.choices[0].message.content).toBe('Four.');
    // A recorded count is reported as recorded.
    expect(completion.usage?.completion_tokens).toBe(9);
  } finally {
    await custom.stop();
    await rm(dir, { recursive: true });
  }
});
