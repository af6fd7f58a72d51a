// The semantic cache's lookup time in one process: a function's scope holding N stored questions
// (GSM8K prompts with their numbers blanked, so every entry passes to the similarity: the worst
// case), embedded by retrieval's local model, searched for 1,000 of them; p50/p99 of the plan and
// the search. The embedding hop to retrieval is not counted, nor the store, which only fills the
// index. N is at most the scope's bound (MAX_ENTRIES_PER_SCOPE).
//   npm run bench:semantic-cache [-- --entries 500,2000]
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { common, durationFromMs, inference, router } from '@keel/contracts';
import pino from 'pino';
import {
  MAX_ENTRIES_PER_SCOPE,
  SemanticCache,
} from '../../services/inference/src/cache/semantic-cache';
import { localEmbedder } from '../../services/retrieval/src/embeddings';

const GSM8K = path.resolve(__dirname, '../../../shared/data/routing/gsm8k.jsonl');
const QUERIES = 1_000;

const { values } = parseArgs({ options: { entries: { type: 'string', default: '500,2000' } } });
const sizes = values.entries.split(',').map((n) => Math.min(Number(n), MAX_ENTRIES_PER_SCOPE));

const route = {
  tenantId: 'bench',
  functionName: 'tutor',
  variantName: 'v1',
  chain: [router.Model.fromPartial({ name: 'sim-small', provider: 'sim' })],
  maxTokens: 256,
  fn: router.KeelFunction.fromPartial({
    tenantId: 'bench',
    functionName: 'tutor',
    variants: [{ variantName: 'v1', modelChain: ['sim-small'] }],
    semanticCache: { minSimilarity: 0.994, ttl: durationFromMs(3_600_000) },
  }),
  tenantSettings: null,
};
const asking = (question: string) => ({
  ...inference.CompleteRequest.fromPartial({
    messages: [
      common.ChatMessage.fromPartial({
        role: common.MessageRole.MESSAGE_ROLE_USER,
        content: question,
      }),
    ],
  }),
  bypassCache: false,
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  if (!existsSync(GSM8K)) {
    console.error(`${GSM8K} is missing: this benchmark reads ../shared/data beside the repository`);
    process.exit(1);
  }
  const prompts = readFileSync(GSM8K, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { prompt: string }).prompt);
  const logger = pino({ level: 'silent' });
  for (const size of sizes) {
    const cache = new SemanticCache({
      store: { put: async () => undefined, follow: async () => ({ stop: () => undefined }) },
      maxEntries: size,
      logger,
    });
    const questions = Array.from({ length: size }, (_, i) =>
      prompts[i % prompts.length].replace(/\d+/g, 'N'),
    );
    const vectors = await localEmbedder.embed(questions);
    for (let i = 0; i < size; i++) {
      const plan = cache.plan(route, asking(questions[i]));
      await cache.keep(
        plan,
        { model: localEmbedder.model, vector: vectors[i] },
        inference.InferenceCompleted.fromPartial({
          inferenceId: `inf-${i}`,
          status: inference.InferenceStatus.INFERENCE_STATUS_OK,
          outputText: 'answer',
        }),
      );
    }
    const times: number[] = [];
    let hits = 0;
    for (let q = 0; q < QUERIES; q++) {
      const question = questions[(q * 7) % size];
      const [vector] = await localEmbedder.embed([question]);
      const started = performance.now();
      const plan = cache.plan(route, asking(question));
      if (cache.find(plan, { model: localEmbedder.model, vector })) hits += 1;
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${size} entries: plan + find p50 ${percentile(times, 50).toFixed(3)} ms, ` +
        `p99 ${percentile(times, 99).toFixed(3)} ms (${hits}/${QUERIES} hits)`,
    );
    cache.stop();
  }
}

void main();
