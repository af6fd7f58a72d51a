// The GSM8K experiment: the first 200 prompts of `../shared/data/routing/gsm8k.jsonl` as a
// dataset (the gold answer as each example's reference), run as one experiment through the real
// services against a function's two variants, `weak` and `strong`, each pinned to its replay
// model, scored by numeric_match@1. The sim upstream replays each model's recorded response
// at once (no simulated model time), so latency is Keel's own path. Prints accuracy, cost and
// latency per variant, beside the accuracy the data set records.
//   npm run experiment:gsm8k [-- --limit 200 --concurrency 8]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { durationToMs, evaluation, router } from '@keel/contracts';
import { call } from '@keel/kit';
import { startLocalServers } from '@keel/local';
import { DEFAULT_REPLAY_FILE, startSimUpstream } from '@keel/sim-upstream';
import { clientsOf, userMessage } from '../support/clients';
import { startCluster } from '../support/cluster';

const VARIANTS = ['weak', 'strong'] as const;
const FUNCTION = 'gsm8k.answer';
const DATASET = 'gsm8k-200';
const EVALUATOR = 'numeric_match@1';
/** Per million tokens, input and output: list prices of the two recorded models' kind. */
const PRICES = {
  weak: { input: 600_000_000n, output: 600_000_000n },
  strong: { input: 10_000_000_000n, output: 30_000_000_000n },
};

interface GsmRecord {
  id: string;
  prompt: string;
  gold: string;
  weak: { correct: boolean };
  strong: { correct: boolean };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      limit: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  if (!fs.existsSync(DEFAULT_REPLAY_FILE)) {
    throw new Error(
      `${DEFAULT_REPLAY_FILE} is missing: the shared data sits beside the repository`,
    );
  }
  const records = fs
    .readFileSync(DEFAULT_REPLAY_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as GsmRecord)
    .slice(0, Number(values.limit));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-gsm8k-experiment-'));
  const servers = await startLocalServers({ dataDir });
  process.env.NATS_URL = servers.natsUrl;
  process.env.MONGO_URL = servers.mongoUrl;
  try {
    await run(records, Number(values.concurrency));
  } finally {
    await servers.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function run(records: GsmRecord[], concurrency: number): Promise<void> {
  const upstream = await startSimUpstream({});
  const cluster = await startCluster(['router', 'inference']);
  await cluster.start('evaluation', { KEEL_INFERENCE_ADDRESS: cluster.address('inference') });
  const clients = clientsOf(cluster.address('router'), cluster.address('inference'));
  const datasets = new evaluation.DatasetServiceClient(
    cluster.address('evaluation'),
    grpc.credentials.createInsecure(),
  );
  try {
    const key = await configure(cluster.adminKey(), clients, upstream.url);
    const ds = <Res>(
      invoke: (
        metadata: grpc.Metadata,
        callback: (error: grpc.ServiceError | null, response: Res) => void,
      ) => void,
    ) => call<Res>(key, invoke);
    await ds((m, cb) =>
      datasets.createDataset({ tenantId: '', datasetName: DATASET, description: '' }, m, cb),
    );
    await ds((m, cb) =>
      datasets.addExamples(
        evaluation.AddExamplesRequest.fromPartial({
          datasetName: DATASET,
          examples: records.map((record) => ({
            exampleId: record.id,
            messages: [userMessage(record.prompt)],
            reference: { answer: record.gold, context: [] },
          })),
        }),
        m,
        cb,
      ),
    );
    const started = performance.now();
    const { experiment } = await ds<evaluation.StartExperimentResponse>((m, cb) =>
      datasets.startExperiment(
        evaluation.StartExperimentRequest.fromPartial({
          datasetName: DATASET,
          functionName: FUNCTION,
          variantNames: [...VARIANTS],
          gate: { baselineVariant: 'strong', maxScoreDrop: 0.05 },
          concurrency,
        }),
        m,
        cb,
      ),
    );
    let done: evaluation.Experiment;
    for (;;) {
      const reply = await ds<evaluation.GetExperimentResponse>((m, cb) =>
        datasets.getExperiment({ tenantId: '', experimentId: experiment!.experimentId }, m, cb),
      );
      done = reply.experiment!;
      if (done.status !== evaluation.ExperimentStatus.EXPERIMENT_STATUS_RUNNING) break;
      process.stderr.write(`\r${done.completed}/${done.total} inferences`);
      await setTimeout(1_000);
    }
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write('\n');
    report(records, done, seconds, concurrency);
  } finally {
    datasets.close();
    clients.close();
    await cluster.shutdown();
    await upstream.stop();
  }
}

/** The replay upstream, both models at their prices, a tenant and the two-variant function. */
async function configure(
  admin: string,
  clients: ReturnType<typeof clientsOf>,
  upstreamUrl: string,
): Promise<string> {
  await clients.putProvider(admin, {
    name: 'upstream',
    kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
    baseUrl: `${upstreamUrl}/v1`,
  });
  for (const name of VARIANTS) {
    await clients.putModel(admin, {
      name,
      provider: 'upstream',
      providerModel: name,
      tier: name === 'weak' ? router.ModelTier.MODEL_TIER_SMALL : router.ModelTier.MODEL_TIER_LARGE,
      contextWindow: 32_000n,
      maxOutputTokens: 4_096n,
      price: {
        inputNanoUsdPerMtok: PRICES[name].input,
        outputNanoUsdPerMtok: PRICES[name].output,
        cachedInputNanoUsdPerMtok: PRICES[name].input / 2n,
      },
      tokenizer: 'o200k_base',
      capabilities: [],
    });
  }
  const { tenant } = await clients.createTenant(admin, 'gsm8k');
  const tenantId = tenant!.tenantId;
  await clients.putFunction(admin, {
    tenantId,
    functionName: FUNCTION,
    variants: VARIANTS.map((name) => ({
      variantName: name,
      modelChain: [name],
      defaultMaxTokens: 4_096,
    })),
    policy: { fixed: { variantName: 'weak' } },
    evaluators: [{ evaluator: EVALUATOR, samplingRate: 1, paramsJson: '' }],
  });
  const scopes = router.ApiKeyScope;
  const { apiKeySecret } = await clients.createApiKey(admin, {
    tenantId,
    scopes: [
      scopes.API_KEY_SCOPE_ADMIN,
      scopes.API_KEY_SCOPE_INFERENCE,
      scopes.API_KEY_SCOPE_ANALYTICS,
    ],
  });
  return apiKeySecret;
}

function report(
  records: GsmRecord[],
  experiment: evaluation.Experiment,
  seconds: number,
  concurrency: number,
): void {
  console.log(
    `GSM8K experiment through Keel: ${records.length} prompts × ${VARIANTS.length} variants, ` +
      `concurrency ${concurrency}, ${seconds.toFixed(1)} s; status ` +
      evaluation.experimentStatusToJSON(experiment.status),
  );
  if (experiment.errorMessage) console.log(experiment.errorMessage);
  console.log(
    'variant | examples | errors | accuracy (numeric_match@1) | recorded accuracy | cost total USD | cost/example USD | p50 ms | p95 ms | gate',
  );
  for (const result of experiment.results) {
    const name = result.variantName as (typeof VARIANTS)[number];
    const recorded = records.filter((record) => record[name].correct).length / records.length;
    const usd = (nano: bigint) => (Number(nano) / 1e9).toFixed(6);
    console.log(
      [
        name,
        String(result.examples),
        String(result.errors),
        (result.meanScoreByEvaluator[EVALUATOR] ?? 0).toFixed(4),
        recorded.toFixed(4),
        usd(result.totalCostNanoUsd),
        usd(result.costPerExampleNanoUsd),
        durationToMs(result.p50Latency).toFixed(1),
        durationToMs(result.p95Latency).toFixed(1),
        result.passed ? 'pass' : `FAIL: ${result.gateFailures.join('; ')}`,
      ].join(' | '),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
