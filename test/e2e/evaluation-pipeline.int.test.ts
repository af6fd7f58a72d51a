// The evaluation pipeline with every service a real process: a function configured through the
// CLI with numeric_match@1 and llm_judge@1, answered by the sim upstream over HTTP, its request's
// reference carried to the evaluators, and the judge called through Keel's own inference API
// with the tenant's judge key. No judge model can run here: the sim upstream answers the judge
// with the verdict a `[sim:reply]` directive scripts, so this proves the plumbing, not a judge.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { evaluation, events, inference, router } from '@keel/contracts';
import { call } from '@keel/kit';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually, freePort, uniqueName } from '@keel/testing';
import pino from 'pino';
import { runCli } from '../support/cli';
import { clientsOf, userMessage, type Clients } from '../support/clients';
import { startCluster, type Cluster } from '../support/cluster';
import { scrape, valueOf } from '../support/prometheus';

jest.setTimeout(120_000);

const { API_KEY_SCOPE_ANALYTICS: ANALYTICS, API_KEY_SCOPE_INFERENCE: INFERENCE } =
  router.ApiKeyScope;

/** A directive that makes the sim upstream answer `model`'s request with exactly `text`. */
const scripted = (text: string, model: string) =>
  `[sim:reply=${Buffer.from(text).toString('base64url')}@${model}]`;

describe('evaluation through the judge, end to end', () => {
  let upstream: SimUpstream;
  let cluster: Cluster;
  let clients: Clients;
  let bus: Bus;
  let tenantId: string;
  let tenantKey: string;
  let analyticsKey: string;
  let evaluationClient: evaluation.EvaluationServiceClient;
  const completedEvents: inference.InferenceCompleted[] = [];
  let metricsPort: number;

  beforeAll(async () => {
    upstream = await startSimUpstream({});
    cluster = await startCluster(['router', 'inference', 'billing']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const admin = cluster.adminKey();
    await clients.putProvider(admin, {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
    });
    for (const name of ['up-answer', 'up-judge']) {
      await clients.putModel(admin, {
        name,
        provider: 'upstream',
        providerModel: name,
        tier: router.ModelTier.MODEL_TIER_SMALL,
        contextWindow: 128_000n,
        maxOutputTokens: 4_096n,
        price: {
          inputNanoUsdPerMtok: 1_000_000_000n,
          outputNanoUsdPerMtok: 2_000_000_000n,
          cachedInputNanoUsdPerMtok: 500_000_000n,
        },
        tokenizer: 'o200k_base',
        capabilities: ['streaming'],
      });
    }
    const created = await clients.createTenant(admin, uniqueName('acme'));
    tenantId = created.tenant!.tenantId;
    tenantKey = created.apiKeySecret;
    const judgeKey = (await clients.createApiKey(admin, { tenantId, scopes: [INFERENCE] }))
      .apiKeySecret;
    analyticsKey = (await clients.createApiKey(admin, { tenantId, scopes: [ANALYTICS] }))
      .apiKeySecret;

    const cliEnv = { KEEL_ROUTER_ADDR: cluster.address('router'), KEEL_ADMIN_KEY: admin };
    const judgeParams = { rubric: 'Is the arithmetic right?', judge_function: 'judge' };
    const put = await runCli(
      [
        'function',
        'math.answer',
        '--tenant',
        tenantId,
        '--models',
        'up-answer',
        '--evaluator',
        'numeric_match@1',
        '--evaluator',
        'llm_judge@1:1',
        '--evaluator-params',
        `llm_judge@1=${JSON.stringify(judgeParams)}`,
      ],
      cliEnv,
    );
    expect(put).toMatchObject({ code: 0, stderr: '' });
    const judge = await runCli(
      ['function', 'judge', '--tenant', tenantId, '--models', 'up-judge'],
      cliEnv,
    );
    expect(judge).toMatchObject({ code: 0, stderr: '' });

    const dir = mkdtempSync(path.join(tmpdir(), 'keel-judge-keys-'));
    const keysFile = path.join(dir, 'judge-keys.json');
    writeFileSync(keysFile, JSON.stringify({ [tenantId]: judgeKey }));
    metricsPort = await freePort();
    await cluster.start('evaluation', {
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      KEEL_JUDGE_KEYS_FILE: keysFile,
      KEEL_INFERENCE_ADDRESS: cluster.address('inference'),
    });
    evaluationClient = new evaluation.EvaluationServiceClient(
      cluster.address('evaluation'),
      grpc.credentials.createInsecure(),
    );
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'evaluation-pipeline-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.consume(events.inferenceCompleted, {
      durable: 'evaluation-pipeline-test',
      handler: async (event) => {
        completedEvents.push(event);
      },
    });
  });

  afterAll(async () => {
    evaluationClient?.close();
    clients?.close();
    await bus?.drain();
    await cluster?.shutdown();
    await upstream?.stop();
  });

  const ask = (content: string) =>
    eventually(
      () =>
        clients.complete(tenantKey, {
          functionName: 'math.answer',
          messages: [userMessage(content)],
          reference: { answer: 'Six sevens are 42.', context: [] },
        }),
      { what: 'Complete on math.answer' },
    );

  const evaluationsOf = (inferenceId: string) =>
    cluster
      .db('evaluation')
      .collection('evaluations')
      .find({ tenant_id: tenantId, inference_id: inferenceId }, { sort: { evaluator: 1 } })
      .toArray();

  const statsOf = () =>
    call<evaluation.GetEvaluatorStatsResponse>(analyticsKey, (metadata, callback) =>
      evaluationClient.getEvaluatorStats(
        { tenantId: '', functionName: 'math.answer' },
        metadata,
        callback,
      ),
    );

  it("scores the answer against the request's reference and by the judge's scripted verdict", async () => {
    const verdict = 'SCORE: 0.9\nREASON: The product is right.';
    const answer = await ask(
      `What is 6 × 7? ${scripted('6 × 7 = 42', 'up-answer')} ${scripted(verdict, 'up-judge')}`,
    );
    expect(answer.text).toBe('6 × 7 = 42');

    const stored = await eventually(
      async () => {
        const docs = await evaluationsOf(answer.inferenceId);
        return docs.length === 2 && docs;
      },
      { what: 'both evaluations', timeoutMs: 60_000 },
    );
    expect(
      stored.map(({ evaluator, score, label, reason, failed }) => ({
        evaluator,
        score,
        label,
        reason,
        failed,
      })),
    ).toEqual([
      {
        evaluator: 'llm_judge@1',
        score: 0.9,
        label: 'pass',
        reason: 'The product is right.',
        failed: false,
      },
      {
        evaluator: 'numeric_match@1',
        score: 1,
        label: 'match',
        reason: 'The final number 42 equals the reference.',
        failed: false,
      },
    ]);

    // The judge's call is an inference of the tenant's like any other: tagged, billed, and
    // not evaluated in turn.
    const judged = await eventually(
      () =>
        completedEvents.find(
          (event) => event.tags['keel.judge.inference_id'] === answer.inferenceId,
        ),
      { what: "the judge's InferenceCompleted" },
    );
    expect(judged).toMatchObject({
      tenantId,
      functionName: 'judge',
      model: 'up-judge',
      outputText: verdict,
      tags: { 'keel.judge': '1' },
    });
    await eventually(
      async () =>
        (await cluster
          .db('billing')
          .collection('ledger')
          .countDocuments({ tenant_id: tenantId, inference_id: judged.inferenceId })) === 1,
      { what: "the judge's call in the ledger" },
    );
    const original = completedEvents.find((event) => event.inferenceId === answer.inferenceId);
    expect(original?.reference).toEqual({ answer: 'Six sevens are 42.', context: [] });
    // Each run is counted once its verdict is stored and announced.
    await eventually(
      async () => {
        const { stats } = await statsOf();
        return (
          JSON.stringify(stats.map((s) => [s.evaluator, Number(s.runs)])) ===
          JSON.stringify([
            ['llm_judge@1', 1],
            ['numeric_match@1', 1],
          ])
        );
      },
      { what: 'one run of each evaluator counted' },
    );
    expect(await evaluationsOf(judged.inferenceId)).toEqual([]);
  });

  it('counts a judge reply without a verdict as an error, not a score', async () => {
    const answer = await ask(
      `What is 2 + 2? ${scripted('4', 'up-answer')} ${scripted('Looks fine to me!', 'up-judge')}`,
    );
    const stats = await eventually(
      async () => {
        const { stats } = await statsOf();
        const judge = stats.find((s) => s.evaluator === 'llm_judge@1');
        const numeric = stats.find((s) => s.evaluator === 'numeric_match@1');
        return judge?.errors === 1n && numeric?.runs === 2n && stats;
      },
      { what: 'the judge error and the second numeric match counted', timeoutMs: 60_000 },
    );
    expect(stats.find((s) => s.evaluator === 'llm_judge@1')?.runs).toBe(1n);
    // The same counts as metrics.
    const outcomes = (evaluator: string, outcome: string) =>
      scrape(metricsPort).then((samples) =>
        valueOf(samples, 'keel_evaluation_evaluator_outcomes_total', {
          keel_tenant_id: tenantId,
          keel_function_name: 'math.answer',
          keel_evaluator: evaluator,
          keel_evaluator_outcome: outcome,
        }),
      );
    await eventually(async () => (await outcomes('llm_judge@1', 'error')) === 1, {
      what: 'the judge error in the metrics',
      timeoutMs: 30_000,
    });
    expect(await outcomes('llm_judge@1', 'run')).toBe(1);
    expect(await outcomes('numeric_match@1', 'run')).toBe(2);
    const stored = await evaluationsOf(answer.inferenceId);
    expect(stored.map((doc) => [doc.evaluator, doc.label])).toEqual([
      ['numeric_match@1', 'mismatch'],
    ]);
  });
});
