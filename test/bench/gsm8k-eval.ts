// The GSM8K run: every prompt of `../shared/data/routing/gsm8k.jsonl` asked through Keel of both
// replay models (`weak` and `strong`, pinned per request), each request carrying the gold
// answer as its reference, on a function that runs numeric_match@1. Every service is a real
// process; the sim upstream replays each model's recorded response. Then the numeric-match
// accuracy per model is read back through the query API (AggregateEvaluations grouped by
// model), and each stored evaluation is compared with the record's `correct` label.
//   npm run eval:gsm8k [-- --limit 200 --concurrency 16]
// Exits non-zero when the agreement is under 0.98.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { evaluation, router } from '@keel/contracts';
import { call } from '@keel/kit';
import { startLocalServers } from '@keel/local';
import { DEFAULT_REPLAY_FILE, startSimUpstream } from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import { type Clients, clientsOf, userMessage } from '../support/clients';
import { startCluster } from '../support/cluster';

const MODELS = ['weak', 'strong'] as const;
type Model = (typeof MODELS)[number];
const FUNCTION = 'gsm8k.answer';
const EVALUATOR = 'numeric_match@1';
const GOAL = 0.98;

interface Record {
  id: string;
  prompt: string;
  gold: string;
  weak: { response: string; correct: boolean };
  strong: { response: string; correct: boolean };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      limit: { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const all = fs
    .readFileSync(DEFAULT_REPLAY_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record);
  const limit = Number(values.limit);
  const records = limit > 0 ? all.slice(0, limit) : all;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-gsm8k-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  let agreed = false;
  try {
    agreed = await run(records, Number(values.concurrency));
  } finally {
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(agreed ? 0 : 1);
}

async function run(records: Record[], concurrency: number): Promise<boolean> {
  const upstream = await startSimUpstream({});
  const cluster = await startCluster(['router', 'inference', 'evaluation']);
  const clients = clientsOf(cluster.address('router'), cluster.address('inference'));
  const queries = new evaluation.EvaluationServiceClient(
    cluster.address('evaluation'),
    grpc.credentials.createInsecure(),
  );
  try {
    const { key, analyticsKey } = await configure(cluster.adminKey(), clients, upstream.url);
    const started = performance.now();
    const asked = await askAll(clients, key, records, concurrency);
    const askSeconds = (performance.now() - started) / 1000;
    console.error(`asked ${asked.size} questions in ${askSeconds.toFixed(1)} s`);

    // Every evaluation stored, read back a page at a time through ListEvaluations.
    const evaluations = await eventually(
      async () => {
        const listed = await listAll(queries, analyticsKey);
        return listed.length >= asked.size && listed;
      },
      { what: `${asked.size} evaluations`, timeoutMs: 600_000, intervalMs: 2_000 },
    );
    const aggregates = await call<evaluation.AggregateEvaluationsResponse>(
      analyticsKey,
      (metadata, callback) =>
        queries.aggregateEvaluations(
          evaluation.AggregateEvaluationsRequest.fromPartial({
            filter: { functionName: FUNCTION, evaluator: EVALUATOR },
            groupBy: [evaluation.GroupKey.GROUP_KEY_MODEL],
          }),
          metadata,
          callback,
        ),
    );
    const stats = await call<evaluation.GetEvaluatorStatsResponse>(
      analyticsKey,
      (metadata, callback) =>
        queries.getEvaluatorStats({ tenantId: '', functionName: FUNCTION }, metadata, callback),
    );
    return report(records, asked, evaluations, aggregates, stats);
  } finally {
    queries.close();
    clients.close();
    await cluster.shutdown();
    await upstream.stop();
  }
}

/** The upstream, both replay models, and a tenant whose function runs numeric_match@1. */
async function configure(
  admin: string,
  clients: Clients,
  upstreamUrl: string,
): Promise<{ key: string; analyticsKey: string }> {
  await clients.putProvider(admin, {
    name: 'upstream',
    kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
    baseUrl: `${upstreamUrl}/v1`,
  });
  for (const name of MODELS) {
    await clients.putModel(admin, {
      name,
      provider: 'upstream',
      providerModel: name,
      tier: name === 'weak' ? router.ModelTier.MODEL_TIER_SMALL : router.ModelTier.MODEL_TIER_LARGE,
      contextWindow: 32_000n,
      maxOutputTokens: 4_096n,
      price: {
        inputNanoUsdPerMtok: 600_000_000n,
        outputNanoUsdPerMtok: 600_000_000n,
        cachedInputNanoUsdPerMtok: 300_000_000n,
      },
      tokenizer: 'o200k_base',
      capabilities: [],
    });
  }
  const created = await clients.createTenant(admin, 'gsm8k');
  const tenantId = created.tenant!.tenantId;
  await clients.putFunction(admin, {
    tenantId,
    functionName: FUNCTION,
    variants: [{ variantName: 'v1', modelChain: ['weak'], defaultMaxTokens: 4_096 }],
    policy: { fixed: { variantName: 'v1' } },
    evaluators: [{ evaluator: EVALUATOR, samplingRate: 1, paramsJson: '' }],
  });
  const analytics = await clients.createApiKey(admin, {
    tenantId,
    scopes: [router.ApiKeyScope.API_KEY_SCOPE_ANALYTICS],
  });
  return { key: created.apiKeySecret, analyticsKey: analytics.apiKeySecret };
}

/** Each record asked of each model; inference id → (record, model). */
async function askAll(
  clients: Clients,
  key: string,
  records: Record[],
  concurrency: number,
): Promise<Map<string, { record: Record; model: Model }>> {
  const jobs = records.flatMap((record) => MODELS.map((model) => ({ record, model })));
  const asked = new Map<string, { record: Record; model: Model }>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const response = await eventually(
        () =>
          clients.complete(key, {
            functionName: FUNCTION,
            model: job.model,
            messages: [userMessage(job.record.prompt)],
            reference: { answer: job.record.gold, context: [] },
            tags: { gsm8k_id: job.record.id },
          }),
        { what: `${job.record.id} of ${job.model}`, timeoutMs: 60_000 },
      );
      if (response.model !== job.model) {
        throw new Error(`${job.record.id}: asked ${job.model}, answered by ${response.model}`);
      }
      asked.set(response.inferenceId, job);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return asked;
}

async function listAll(
  queries: evaluation.EvaluationServiceClient,
  key: string,
): Promise<evaluation.Evaluation[]> {
  const all: evaluation.Evaluation[] = [];
  let pageToken = '';
  do {
    const page = await call<evaluation.ListEvaluationsResponse>(key, (metadata, callback) =>
      queries.listEvaluations(
        evaluation.ListEvaluationsRequest.fromPartial({
          filter: { functionName: FUNCTION, evaluator: EVALUATOR },
          pageSize: 1_000,
          pageToken,
        }),
        metadata,
        callback,
      ),
    );
    all.push(...page.evaluations);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return all;
}

function report(
  records: Record[],
  asked: Map<string, { record: Record; model: Model }>,
  evaluations: evaluation.Evaluation[],
  aggregates: evaluation.AggregateEvaluationsResponse,
  stats: evaluation.GetEvaluatorStatsResponse,
): boolean {
  let agree = 0;
  const disagreements: string[] = [];
  const perModel = new Map<Model, { recorded: number; matched: number; total: number }>();
  for (const item of evaluations) {
    const job = asked.get(item.inferenceId);
    if (!job) throw new Error(`an evaluation of an inference not asked: ${item.inferenceId}`);
    const recorded = job.record[job.model].correct;
    const matched = item.label === 'match';
    if (matched === recorded) agree += 1;
    else {
      disagreements.push(
        `${job.record.id} ${job.model}: recorded ${recorded ? 'correct' : 'wrong'}, evaluated ${item.label} (${item.reason})`,
      );
    }
    const tally = perModel.get(job.model) ?? { recorded: 0, matched: 0, total: 0 };
    tally.total += 1;
    if (recorded) tally.recorded += 1;
    if (matched) tally.matched += 1;
    perModel.set(job.model, tally);
  }
  const agreement = agree / evaluations.length;
  console.log(`GSM8K through Keel: ${records.length} prompts × ${MODELS.length} models`);
  console.log(`evaluations read back (ListEvaluations): ${evaluations.length}`);
  for (const s of stats.stats) {
    console.log(
      `evaluator ${s.evaluator}: runs ${s.runs}, skips ${s.skips}, errors ${s.errors}, dead letters ${s.deadLetters}`,
    );
  }
  console.log(
    'model  | AggregateEvaluations: count, mean score | ListEvaluations: count, accuracy | recorded accuracy',
  );
  for (const model of MODELS) {
    const aggregate = aggregates.aggregates.find((a) => a.group.model === model);
    const tally = perModel.get(model) ?? { recorded: 0, matched: 0, total: 0 };
    console.log(
      [
        model.padEnd(6),
        `${aggregate?.count ?? 0}, ${aggregate?.meanScore.toFixed(4) ?? '-'}`.padStart(39),
        `${tally.total}, ${(tally.matched / tally.total).toFixed(4)}`.padStart(32),
        (tally.recorded / tally.total).toFixed(4).padStart(17),
      ].join(' | '),
    );
  }
  console.log(
    `agreement with the recorded correct labels: ${agree}/${evaluations.length} = ${agreement.toFixed(4)} (goal ≥ ${GOAL})`,
  );
  const wronglyWrong = disagreements.filter((line) => line.includes('recorded wrong')).length;
  console.log(
    `  of which recorded wrong but matched: ${wronglyWrong}; recorded correct but not matched: ${disagreements.length - wronglyWrong}`,
  );
  for (const line of disagreements.slice(0, 40)) console.log(`  disagrees: ${line}`);
  if (disagreements.length > 40) console.log(`  … and ${disagreements.length - 40} more`);
  return agreement >= GOAL;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
