// What the provider SDKs, and Keel's adapters on them, add to each call: sequential calls to
// the sim upstream (its own process), whole and streamed, against a plain keep-alive fetch of
// the same request whose body is read to its end.
//   npm run bench:provider-overhead [-- --calls 2000 --warm-up 200]
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { common, inference, router } from '@keel/contracts';
import OpenAI from 'openai';
import { AnthropicProvider } from '../../services/inference/src/providers/anthropic/provider';
import { OpenAiCompatibleProvider } from '../../services/inference/src/providers/openai-compatible/provider';
import type { ProviderRequest } from '../../services/inference/src/domain/provider';

const SECRET = 'sk-bench';
const PROMPT = 'How does a keel keep a sailing boat upright?';
const MAX_TOKENS = 64;

interface Variant {
  name: string;
  call: () => Promise<unknown>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '2000' },
      'warm-up': { type: 'string', default: '200' },
    },
  });
  const calls = Number(values.calls);
  const warmUp = Number(values['warm-up']);
  const { url, process: upstream } = await startUpstream();
  try {
    console.log(
      `${calls} sequential calls per variant after ${warmUp} to warm up, the variants of a group` +
        ' taking turns; µs per call',
    );
    console.log(['variant'.padEnd(26), 'p50', 'p99', 'mean', 'mean − fetch'].join('\t'));
    for (const group of variantGroups(url)) {
      for (let i = 0; i < warmUp; i++) for (const variant of group) await variant.call();
      const micros = group.map((): number[] => []);
      // Turns, in a rotating order, so that drift in the machine's load falls on every variant.
      for (let i = 0; i < calls; i++) {
        for (let turn = 0; turn < group.length; turn++) {
          const v = (i + turn) % group.length;
          const started = process.hrtime.bigint();
          await group[v].call();
          micros[v].push(Number(process.hrtime.bigint() - started) / 1000);
        }
      }
      const means = micros.map((values) => values.reduce((sum, value) => sum + value, 0) / calls);
      group.forEach((variant, v) => {
        const sorted = micros[v].sort((a, b) => a - b);
        const at = (q: number) => sorted[Math.min(calls - 1, Math.floor(q * calls))];
        const cells = [at(0.5), at(0.99), means[v], means[v] - means[0]].map((n) => n.toFixed(0));
        console.log([variant.name.padEnd(26), ...cells].join('\t'));
      });
    }
  } finally {
    upstream.kill('SIGTERM');
    await once(upstream, 'exit');
  }
}

/** Each group starts with its plain fetch, the baseline of the others. */
function variantGroups(url: string): Variant[][] {
  const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: SECRET, maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: url, apiKey: SECRET, maxRetries: 0 });
  const config = { baseUrl: `${url}/v1`, apiKey: SECRET, defaultHeaders: {} };
  const openaiAdapter = new OpenAiCompatibleProvider({ ...config, name: 'openai' });
  const anthropicAdapter = new AnthropicProvider({ ...config, name: 'anthropic', baseUrl: url });

  const openaiBody = {
    model: 'sim-bench',
    messages: [{ role: 'user' as const, content: PROMPT }],
    max_completion_tokens: MAX_TOKENS,
  };
  const anthropicBody = {
    model: 'sim-bench',
    messages: [{ role: 'user' as const, content: PROMPT }],
    max_tokens: MAX_TOKENS,
  };
  const streamOptions = { stream: true as const, stream_options: { include_usage: true } };
  const openaiFetch = (body: object) =>
    plainFetch(`${url}/v1/chat/completions`, { authorization: `Bearer ${SECRET}` }, body);
  const anthropicFetch = (body: object) =>
    plainFetch(`${url}/v1/messages`, { 'x-api-key': SECRET }, body);

  return [
    [
      { name: 'openai fetch', call: () => openaiFetch(openaiBody) },
      { name: 'openai SDK', call: () => openai.chat.completions.create(openaiBody) },
      { name: 'openai adapter', call: () => openaiAdapter.complete(request()) },
    ],
    [
      { name: 'openai fetch stream', call: () => openaiFetch({ ...openaiBody, ...streamOptions }) },
      {
        name: 'openai SDK stream',
        call: async () =>
          drain(await openai.chat.completions.create({ ...openaiBody, ...streamOptions })),
      },
      { name: 'openai adapter stream', call: () => drain(openaiAdapter.stream(request())) },
    ],
    [
      { name: 'anthropic fetch', call: () => anthropicFetch(anthropicBody) },
      { name: 'anthropic SDK', call: () => anthropic.messages.create(anthropicBody) },
      { name: 'anthropic adapter', call: () => anthropicAdapter.complete(request()) },
    ],
    [
      {
        name: 'anthropic fetch stream',
        call: () => anthropicFetch({ ...anthropicBody, stream: true }),
      },
      {
        name: 'anthropic SDK stream',
        call: async () =>
          drain(await anthropic.messages.create({ ...anthropicBody, stream: true })),
      },
      { name: 'anthropic adapter stream', call: () => drain(anthropicAdapter.stream(request())) },
    ],
  ];
}

/** One POST on Node's keep-alive fetch, its body read to the end. */
async function plainFetch(url: string, headers: Record<string, string>, body: object) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

async function drain(chunks: AsyncIterable<unknown>): Promise<void> {
  for await (const chunk of chunks) void chunk;
}

function request(): ProviderRequest {
  return {
    model: router.Model.fromPartial({ providerModel: 'sim-bench', tokenizer: 'o200k_base' }),
    messages: [
      common.ChatMessage.fromPartial({
        role: common.MessageRole.MESSAGE_ROLE_USER,
        content: PROMPT,
      }),
    ],
    maxTokens: MAX_TOKENS,
    stop: [],
    responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_UNSPECIFIED,
    tools: [],
    toolChoice: '',
    signal: new AbortController().signal,
  };
}

/** The sim upstream as its own process, so its work does not share the client's event loop. */
async function startUpstream(): Promise<{ url: string; process: ChildProcess }> {
  const main = path.join(__dirname, '../sim-upstream/src/main.ts');
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', main, '--port', '0', '--secret', SECRET],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [first] = (await once(lines, 'line')) as [string];
  return { url: first.trim(), process: child };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
