// Datasets and experiments on the real services as processes (router, inference, evaluation,
// feedback) over the sim upstream: a correction promoted into a dataset, an experiment that
// compares two variants with its gate, the router's promotion check against it, a run a restart
// interrupted, and the CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { evaluation, feedback, router, streamOf } from '@keel/contracts';
import { call, routerClient } from '@keel/kit';
import { startSimUpstream, type SimUpstream } from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type Clients, clientsOf, grpcError, userMessage } from '../support/clients';
import { runCli } from '../support/cli';
import { type Cluster, startCluster } from '../support/cluster';

jest.setTimeout(300_000);

const { ExperimentStatus, ExampleSource } = evaluation;
const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE, API_KEY_SCOPE_ANALYTICS } =
  router.ApiKeyScope;
const FUNCTION = 'math.answer';
const NUMERIC = 'numeric_match@1';

/** The sim upstream answers exactly `text`; only to `model` when one is named. */
function reply(text: string, model?: string): string {
  return `[sim:reply=${Buffer.from(text).toString('base64url')}${model ? `@${model}` : ''}]`;
}

/** An example both variants answer: `strong` with `right`, `weak` with `weakAnswer`. */
function example(id: string, question: string, right: string, weakAnswer: string) {
  return evaluation.DatasetExample.fromPartial({
    exampleId: id,
    messages: [userMessage(`${question} ${reply(right, 'strong-model')}${weakAnswer}`)],
    reference: { answer: right, context: [] },
  });
}

describe('datasets and experiments', () => {
  let upstream: SimUpstream;
  let cluster: Cluster;
  let clients: Clients;
  let datasets: evaluation.DatasetServiceClient;
  let routerStub: router.RouterServiceClient;
  let tenantId: string;
  /** Admin, inference and analytics: writes datasets, runs experiments, promotes. */
  let key: string;
  let experimentsSeen = 0;

  const ds = <Res>(
    invoke: (
      client: evaluation.DatasetServiceClient,
      metadata: grpc.Metadata,
      callback: (error: grpc.ServiceError | null, response: Res) => void,
    ) => void,
    apiKey = key,
  ) => call<Res>(apiKey, (metadata, callback) => invoke(datasets, metadata, callback));

  const promote = (variantName: string, force = false) =>
    call<router.PromoteVariantResponse>(key, (metadata, callback) =>
      routerStub.promoteVariant(
        router.PromoteVariantRequest.fromPartial({ functionName: FUNCTION, variantName, force }),
        metadata,
        callback,
      ),
    );

  /** Experiments call this cluster's inference service. */
  const evaluationEnv = () => ({ KEEL_INFERENCE_ADDRESS: cluster.address('inference') });

  /** Runs the experiment to its end, then waits until the router has kept its gate results. */
  async function experimentOf(
    request: Partial<evaluation.StartExperimentRequest>,
  ): Promise<evaluation.Experiment> {
    const started = await ds<evaluation.StartExperimentResponse>((c, m, cb) =>
      c.startExperiment(
        evaluation.StartExperimentRequest.fromPartial({ functionName: FUNCTION, ...request }),
        m,
        cb,
      ),
    );
    const experimentId = started.experiment!.experimentId;
    const done = await eventually(
      async () => {
        const { experiment } = await ds<evaluation.GetExperimentResponse>((c, m, cb) =>
          c.getExperiment({ tenantId: '', experimentId }, m, cb),
        );
        return experiment!.status !== ExperimentStatus.EXPERIMENT_STATUS_RUNNING && experiment;
      },
      { what: `experiment ${experimentId} to end`, timeoutMs: 120_000, intervalMs: 200 },
    );
    experimentsSeen += 1;
    await routerAcked(experimentsSeen);
    return done!;
  }

  /** Resolves once the router's consumer has acked `count` ExperimentCompleted events. */
  async function routerAcked(count: number): Promise<void> {
    const nats = await connect({ servers: process.env.NATS_URL });
    try {
      const jsm = await jetstreamManager(nats);
      await eventually(
        async () => {
          const info = await jsm.consumers.info(
            streamOf('evaluation', cluster.prefix).name,
            'router-evaluation-experiment',
          );
          return info.ack_floor.consumer_seq >= count && info.num_ack_pending === 0;
        },
        { what: `the router to keep ${count} experiments`, timeoutMs: 30_000 },
      );
    } finally {
      await nats.close();
    }
  }

  beforeAll(async () => {
    upstream = await startSimUpstream({});
    cluster = await startCluster(['router', 'inference', 'feedback']);
    await cluster.start('evaluation', evaluationEnv());
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    datasets = new evaluation.DatasetServiceClient(
      cluster.address('evaluation'),
      grpc.credentials.createInsecure(),
    );
    routerStub = routerClient(cluster.address('router'));
    const admin = cluster.adminKey();
    await clients.putProvider(admin, {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
    });
    // The strong model costs ten times the weak one.
    for (const [name, nanoUsdPerMtok] of [
      ['strong-model', 10_000_000_000n],
      ['weak-model', 1_000_000_000n],
    ] as const) {
      await clients.putModel(admin, {
        name,
        provider: 'upstream',
        providerModel: name,
        tier: router.ModelTier.MODEL_TIER_SMALL,
        contextWindow: 32_000n,
        maxOutputTokens: 4_096n,
        price: {
          inputNanoUsdPerMtok: nanoUsdPerMtok,
          outputNanoUsdPerMtok: nanoUsdPerMtok,
          cachedInputNanoUsdPerMtok: nanoUsdPerMtok,
        },
        tokenizer: 'o200k_base',
        capabilities: [],
      });
    }
    const created = await clients.createTenant(admin, 'acme');
    tenantId = created.tenant!.tenantId;
    key = (
      await clients.createApiKey(admin, {
        tenantId,
        scopes: [
          API_KEY_SCOPE_ADMIN,
          API_KEY_SCOPE_INFERENCE,
          API_KEY_SCOPE_ANALYTICS,
          router.ApiKeyScope.API_KEY_SCOPE_FEEDBACK,
        ],
      })
    ).apiKeySecret;
    await clients.putFunction(admin, {
      tenantId,
      functionName: FUNCTION,
      variants: [
        { variantName: 'strong', modelChain: ['strong-model'], defaultMaxTokens: 64 },
        { variantName: 'weak', modelChain: ['weak-model'], defaultMaxTokens: 64 },
      ],
      policy: { fixed: { variantName: 'strong' } },
      evaluators: [{ evaluator: NUMERIC, samplingRate: 1, paramsJson: '' }],
    });
  });

  afterAll(async () => {
    datasets?.close();
    routerStub?.close();
    clients?.close();
    await cluster?.shutdown();
    await upstream?.stop();
  });

  it('promotes a correction given through feedback into a dataset, the correction as its reference', async () => {
    const prompt = `What is 6 × 7? ${reply('41')}`;
    const answered = await eventually(
      () =>
        clients.complete(key, {
          functionName: FUNCTION,
          messages: [userMessage(prompt)],
          reference: { answer: '42', context: ['Six sevens are 42.'] },
        }),
      { what: 'the inference' },
    );
    const feedbackStub = new feedback.FeedbackServiceClient(
      cluster.address('feedback'),
      grpc.credentials.createInsecure(),
    );
    // Feedback learns who owns the inference from its event: NOT_FOUND until it arrives.
    const submitted = await eventually(
      () =>
        call<feedback.SubmitResponse>(key, (metadata, callback) =>
          feedbackStub.submit(
            feedback.SubmitRequest.fromPartial({
              inferenceId: answered.inferenceId,
              correction: '42',
              idempotencyKey: 'correction-1',
            }),
            metadata,
            callback,
          ),
        ),
      { what: 'the correction accepted', timeoutMs: 30_000 },
    );
    feedbackStub.close();
    const feedbackId = submitted.feedback!.feedbackId;
    await ds((c, m, cb) =>
      c.createDataset({ tenantId: '', datasetName: 'fixes', description: '' }, m, cb),
    );

    // Evaluation stores the inference and the feedback from their events: NOT_FOUND until both.
    const promoted = await eventually(
      () =>
        ds<evaluation.PromoteCorrectionResponse>((c, m, cb) =>
          c.promoteCorrection({ tenantId: '', datasetName: 'fixes', feedbackId }, m, cb),
        ),
      { what: 'the correction promoted', timeoutMs: 30_000 },
    );
    expect(promoted.example).toMatchObject({
      exampleId: feedbackId,
      source: ExampleSource.EXAMPLE_SOURCE_CORRECTION,
      sourceId: feedbackId,
      reference: { answer: '42', context: ['Six sevens are 42.'] },
    });
    expect(promoted.example!.messages.map((message) => message.content)).toEqual([prompt]);
    expect(promoted.dataset?.exampleCount).toBe(1n);
    const listed = await ds<evaluation.ListExamplesResponse>((c, m, cb) =>
      c.listExamples({ tenantId: '', datasetName: 'fixes', pageSize: 0, pageToken: '' }, m, cb),
    );
    expect(listed.examples).toEqual([promoted.example]);

    const fromInference = await ds<evaluation.AddExamplesFromInferencesResponse>((c, m, cb) =>
      c.addExamplesFromInferences(
        { tenantId: '', datasetName: 'fixes', inferenceIds: [answered.inferenceId] },
        m,
        cb,
      ),
    );
    expect(fromInference.dataset?.exampleCount).toBe(2n);
    const page = await ds<evaluation.ListExamplesResponse>((c, m, cb) =>
      c.listExamples({ tenantId: '', datasetName: 'fixes', pageSize: 1, pageToken: '' }, m, cb),
    );
    const next = await ds<evaluation.ListExamplesResponse>((c, m, cb) =>
      c.listExamples(
        { tenantId: '', datasetName: 'fixes', pageSize: 1, pageToken: page.nextPageToken },
        m,
        cb,
      ),
    );
    const copied = [...page.examples, ...next.examples].find(
      (item) => item.exampleId === answered.inferenceId,
    );
    expect(next.nextPageToken).toBe('');
    expect(copied).toMatchObject({
      source: ExampleSource.EXAMPLE_SOURCE_INFERENCE,
      sourceId: answered.inferenceId,
      reference: { answer: '42', context: ['Six sevens are 42.'] },
    });
    expect(copied!.messages.map((message) => message.content)).toEqual([prompt]);
  });

  it('refuses bad examples naming the field, and keeps tenants and scopes apart', async () => {
    const bad = await grpcError(
      ds((c, m, cb) =>
        c.addExamples(
          {
            tenantId: '',
            datasetName: 'fixes',
            examples: [evaluation.DatasetExample.fromPartial({ exampleId: 'x' })],
          },
          m,
          cb,
        ),
      ),
    );
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toBe('examples[0].messages: must not be empty');

    const admin = cluster.adminKey();
    const other = await clients.createTenant(admin, 'globex');
    const outsider = other.apiKeySecret;
    const theirs = await ds<evaluation.ListDatasetsResponse>(
      (c, m, cb) => c.listDatasets({ tenantId: '' }, m, cb),
      outsider,
    );
    expect(theirs.datasets).toEqual([]);
    const missing = await grpcError(
      ds(
        (c, m, cb) =>
          c.listExamples({ tenantId: '', datasetName: 'fixes', pageSize: 0, pageToken: '' }, m, cb),
        outsider,
      ),
    );
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
    const reaching = await grpcError(
      ds((c, m, cb) => c.listDatasets({ tenantId }, m, cb), outsider),
    );
    expect(reaching.code).toBe(grpc.status.PERMISSION_DENIED);

    const adminOnly = (
      await clients.createApiKey(admin, { tenantId, scopes: [API_KEY_SCOPE_ADMIN] })
    ).apiKeySecret;
    const noInference = await grpcError(
      ds(
        (c, m, cb) =>
          c.startExperiment(
            evaluation.StartExperimentRequest.fromPartial({
              datasetName: 'fixes',
              functionName: FUNCTION,
              variantNames: ['strong'],
            }),
            m,
            cb,
          ),
        adminOnly,
      ),
    );
    expect(noInference.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(noInference.details).toContain("it needs the 'inference' scope");
  });

  it('runs a dataset against two variants, with the figures the sim answers and a gate that fails one', async () => {
    await ds((c, m, cb) =>
      c.createDataset({ tenantId: '', datasetName: 'arith', description: '' }, m, cb),
    );
    await ds((c, m, cb) =>
      c.addExamples(
        {
          tenantId: '',
          datasetName: 'arith',
          examples: [
            example('e1', 'What is 6 × 7?', '42', reply('42', 'weak-model')),
            example('e2', 'What is 10 − 3?', '7', reply('9', 'weak-model')),
            example('e3', 'What is 2 + 2?', '4', reply('5', 'weak-model')),
            // The weak model's upstream refuses this one: an inference error of that variant.
            example('e4', 'What is 3 × 3?', '9', '[sim:status=400@weak-model]'),
          ],
        },
        m,
        cb,
      ),
    );

    const done = await experimentOf({
      datasetName: 'arith',
      variantNames: ['strong', 'weak'],
      gate: evaluation.ExperimentGate.fromPartial({
        minMeanScore: 0.9,
        maxErrorRate: 0.1,
        baselineVariant: 'strong',
        maxScoreDrop: 0.1,
      }),
      concurrency: 2,
    });

    expect(done).toMatchObject({
      status: ExperimentStatus.EXPERIMENT_STATUS_COMPLETED,
      completed: 8n,
      total: 8n,
      errorMessage: '',
    });
    const [strong, weak] = done.results;
    expect(strong).toMatchObject({
      variantName: 'strong',
      examples: 4n,
      errors: 0n,
      meanScore: 1,
      meanScoreByEvaluator: { [NUMERIC]: 1 },
      passed: true,
      gateFailures: [],
    });
    expect(weak).toMatchObject({
      variantName: 'weak',
      examples: 4n,
      errors: 1n,
      passed: false,
    });
    expect(weak.meanScore).toBeCloseTo(1 / 3, 10);
    expect(weak.gateFailures).toEqual([
      'mean score 0.333 is below the minimum 0.900',
      'error rate 0.250 is above the maximum 0.100',
      "mean score 0.333 is 0.667 below baseline 'strong' (1.000); the most allowed is 0.100",
    ]);
    for (const result of done.results) {
      expect(result.totalCostNanoUsd).toBeGreaterThan(0n);
      expect(result.costPerExampleNanoUsd).toBe(result.totalCostNanoUsd / 4n);
      expect(result.p95Latency).toBeDefined();
    }
    // Ten times the price, one more answer: the strong variant costs more per example.
    expect(strong.costPerExampleNanoUsd).toBeGreaterThan(weak.costPerExampleNanoUsd);
  });

  it('refuses to run a variant the function does not have, naming variant_name', async () => {
    const error = await grpcError(
      clients.complete(key, {
        functionName: FUNCTION,
        variantName: 'medium',
        messages: [userMessage('hi')],
      }),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      `variant_name: 'medium' is not a variant of function '${FUNCTION}' (its variants: 'strong', 'weak')`,
    );
  });

  it('refuses to promote a variant after a failed gate, and allows it with force or after a passing experiment', async () => {
    const [failed] = (
      await ds<evaluation.ListExperimentsResponse>((c, m, cb) =>
        c.listExperiments({ tenantId: '', functionName: FUNCTION }, m, cb),
      )
    ).experiments;

    const refused = await grpcError(promote('weak'));
    expect(refused.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.details).toContain(`latest experiment '${failed.experimentId}'`);
    expect(refused.details).toContain('mean score 0.333 is below the minimum 0.900');

    const forced = await promote('weak', true);
    expect(forced.function?.policy?.fixed?.variantName).toBe('weak');
    expect(forced.gate).toMatchObject({ experimentId: failed.experimentId, passed: false });
    const routed = await eventually(
      async () => {
        const answer = await clients.complete(key, {
          functionName: FUNCTION,
          messages: [userMessage(`Which variant? ${reply('1')}`)],
        });
        return answer.variantName === 'weak' && answer;
      },
      { what: 'inference to run the promoted variant' },
    );
    expect(routed.model).toBe('weak-model');

    await ds((c, m, cb) =>
      c.createDataset({ tenantId: '', datasetName: 'easy', description: '' }, m, cb),
    );
    await ds((c, m, cb) =>
      c.addExamples(
        {
          tenantId: '',
          datasetName: 'easy',
          examples: [example('e1', 'What is 6 × 7?', '42', reply('42', 'weak-model'))],
        },
        m,
        cb,
      ),
    );
    const passing = await experimentOf({
      datasetName: 'easy',
      variantNames: ['weak'],
      gate: evaluation.ExperimentGate.fromPartial({ minMeanScore: 0.9 }),
    });
    expect(passing.results[0]).toMatchObject({ variantName: 'weak', passed: true, meanScore: 1 });
    const promoted = await promote('weak');
    expect(promoted.gate).toMatchObject({ experimentId: passing.experimentId, passed: true });
    expect(promoted.function?.policy?.fixed?.variantName).toBe('weak');
  });

  it.each([
    ['a crash', 'kill', 'the evaluation service restarted while the experiment ran'],
    ['a graceful stop', 'stop', 'the evaluation service stopped while the experiment ran'],
  ] as const)('marks a run that %s of evaluation ended FAILED, saying why', async (_, how, why) => {
    await ds((c, m, cb) =>
      c.createDataset({ tenantId: '', datasetName: 'slow', description: '' }, m, cb),
    );
    await ds((c, m, cb) =>
      c.addExamples(
        {
          tenantId: '',
          datasetName: 'slow',
          examples: [
            evaluation.DatasetExample.fromPartial({
              exampleId: 's1',
              messages: [userMessage('Wait [sim:hang]')],
            }),
          ],
        },
        m,
        cb,
      ),
    );
    const started = await ds<evaluation.StartExperimentResponse>((c, m, cb) =>
      c.startExperiment(
        evaluation.StartExperimentRequest.fromPartial({
          datasetName: 'slow',
          functionName: FUNCTION,
          variantNames: ['strong'],
        }),
        m,
        cb,
      ),
    );
    expect(started.experiment?.status).toBe(ExperimentStatus.EXPERIMENT_STATUS_RUNNING);
    await cluster[how]('evaluation');
    await cluster.start('evaluation', evaluationEnv());
    datasets.close();
    datasets = new evaluation.DatasetServiceClient(
      cluster.address('evaluation'),
      grpc.credentials.createInsecure(),
    );
    const { experiment } = await ds<evaluation.GetExperimentResponse>((c, m, cb) =>
      c.getExperiment({ tenantId: '', experimentId: started.experiment!.experimentId }, m, cb),
    );
    expect(experiment?.status).toBe(ExperimentStatus.EXPERIMENT_STATUS_FAILED);
    expect(experiment?.errorMessage).toContain(why);
  });

  it('creates, fills and runs a dataset with the keel CLI, and promotes with it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-dataset-'));
    const file = path.join(dir, 'examples.jsonl');
    const line = (id: string, content: string, answer: string) =>
      JSON.stringify({
        example_id: id,
        messages: [{ role: 'user', content }],
        reference: { answer },
      });
    fs.writeFileSync(
      file,
      [
        line('c1', `What is 1 + 1? ${reply('2')}`, '2'),
        line('c2', `What is 5 − 1? ${reply('4', 'strong-model')}${reply('3', 'weak-model')}`, '4'),
      ].join('\n'),
    );
    const env = {
      KEEL_ROUTER_ADDR: cluster.address('router'),
      KEEL_EVALUATION_ADDR: cluster.address('evaluation'),
      KEEL_API_KEY: key,
      KEEL_ADMIN_KEY: key,
    };
    expect(await runCli(['dataset', 'create', 'cli'], env)).toMatchObject({
      code: 0,
      stdout: 'dataset cli: 0 examples\n',
    });
    expect(await runCli(['dataset', 'add', 'cli', file], env)).toMatchObject({
      code: 0,
      stdout: 'added 2; dataset cli: 2 examples\n',
    });
    const run = await runCli(
      [
        'experiment',
        'run',
        'cli',
        '--function',
        FUNCTION,
        '--variants',
        'strong,weak',
        '--gate',
        'min_mean_score=0.9',
        '--wait',
      ],
      env,
    );
    // The gate failed the weak variant: the command says so and exits 1.
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('keel: the gate failed weak\n');
    const experimentId = /^experiment (\S+): 4 inferences$/m.exec(run.stdout)?.[1];
    expect(experimentId).toBeDefined();
    const rows = run.stdout.split('\n');
    expect(rows[1].split(/\s+/)).toEqual(
      `variant examples errors mean ${NUMERIC} cost/example cost p50_ms p95_ms gate`.split(' '),
    );
    expect(rows[2]).toMatch(/^strong\s+2\s+0\s+1\.000\s+1\.000\s.*pass$/);
    expect(rows[3]).toMatch(/^weak\s+2\s+0\s+0\.500\s+0\.500\s.*FAIL$/);
    expect(rows[4]).toBe('  weak: mean score 0.500 is below the minimum 0.900');

    const shown = await runCli(['experiment', 'show', experimentId!], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      `experiment ${experimentId} of ${FUNCTION} on cli: completed, 4/4`,
    );
    await routerAcked(experimentsSeen + 1);

    const refused = await runCli(['variant', 'promote', FUNCTION, 'weak'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`failed the gate of its latest experiment '${experimentId}'`);
    const forced = await runCli(['variant', 'promote', FUNCTION, 'weak', '--force'], env);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`function ${FUNCTION} → variant weak (policy snapshot`);
    expect(forced.stdout).toContain(`latest experiment ${experimentId}: failed (forced)`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
