// `keel dataset`, `keel experiment` and `keel variant promote`: datasets of examples, experiments
// that compare a function's variants on them (with a progress bar while one runs), and the
// promotion the router checks against the latest experiment's gate.
import fs from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { evaluation, router } from '@keel/contracts';
import { call, routerClient } from '@keel/kit';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { examplesOfJsonl, gateOf, resultsTableOf } from './experiment-flags';

const { ExperimentStatus } = evaluation;
const BATCH = 1_000;
const POLL_MS = 500;

export interface DatasetConnection {
  router(): string;
  /** A key of the tenant: admin scope for writes (and inference to run an experiment). */
  apiKey(): string;
  adminKey(): string;
}

function evaluationAddress(): Option {
  return new Option('--evaluation <address>', 'evaluation gRPC address')
    .env('KEEL_EVALUATION_ADDR')
    .default('127.0.0.1:50054');
}

export function addDatasetCommands(program: Command, connection: DatasetConnection): void {
  const dataset = program
    .command('dataset')
    .description('datasets of examples that experiments run on')
    .option('--tenant <id>', "the tenant (an operator key's other tenant)", '');
  dataset.addOption(evaluationAddress());
  const client = () =>
    new evaluation.DatasetServiceClient(
      dataset.opts<{ evaluation: string }>().evaluation,
      grpc.credentials.createInsecure(),
    );
  const tenantId = () => dataset.opts<{ tenant: string }>().tenant;
  const describe = (item: evaluation.Dataset | undefined) =>
    `dataset ${item?.datasetName}: ${item?.exampleCount} examples`;

  dataset
    .command('create <name>')
    .option('--description <text>', 'what the dataset holds', '')
    .action(async (name: string, options: { description: string }) => {
      const reply = await call<evaluation.CreateDatasetResponse>(connection.apiKey(), (m, cb) =>
        client().createDataset(
          { tenantId: tenantId(), datasetName: name, description: options.description },
          m,
          cb,
        ),
      );
      console.log(describe(reply.dataset));
    });
  dataset
    .command('add <name> <file>')
    .description('add the examples of a JSONL file (one with an existing id replaces it)')
    .action(async (name: string, file: string) => {
      const examples = examplesOfJsonl(fs.readFileSync(file, 'utf8'), file);
      let reply: evaluation.AddExamplesResponse | undefined;
      for (let start = 0; start < examples.length; start += BATCH) {
        const request = evaluation.AddExamplesRequest.fromPartial({
          tenantId: tenantId(),
          datasetName: name,
          examples: examples.slice(start, start + BATCH),
        });
        reply = await call<evaluation.AddExamplesResponse>(connection.apiKey(), (m, cb) =>
          client().addExamples(request, m, cb),
        );
      }
      console.log(`added ${examples.length}; ${describe(reply?.dataset)}`);
    });
  dataset
    .command('from-inferences <name> <inferenceIds...>')
    .description("add production inferences' inputs and references")
    .action(async (name: string, inferenceIds: string[]) => {
      const reply = await call<evaluation.AddExamplesFromInferencesResponse>(
        connection.apiKey(),
        (m, cb) =>
          client().addExamplesFromInferences(
            { tenantId: tenantId(), datasetName: name, inferenceIds },
            m,
            cb,
          ),
      );
      console.log(`added ${reply.added}; ${describe(reply.dataset)}`);
    });
  dataset
    .command('promote <name> <feedbackId>')
    .description('add the inference a correction was given on, the correction as its reference')
    .action(async (name: string, feedbackId: string) => {
      const reply = await call<evaluation.PromoteCorrectionResponse>(connection.apiKey(), (m, cb) =>
        client().promoteCorrection({ tenantId: tenantId(), datasetName: name, feedbackId }, m, cb),
      );
      console.log(`example ${reply.example?.exampleId}; ${describe(reply.dataset)}`);
    });
  dataset
    .command('list')
    .description('the datasets and their example counts')
    .action(async () => {
      const reply = await call<evaluation.ListDatasetsResponse>(connection.apiKey(), (m, cb) =>
        client().listDatasets({ tenantId: tenantId() }, m, cb),
      );
      for (const item of reply.datasets) console.log(describe(item));
    });

  const experiment = program
    .command('experiment')
    .description("run a dataset against a function's variants, and show the results");
  experiment.addOption(evaluationAddress());
  const experiments = () =>
    new evaluation.DatasetServiceClient(
      experiment.opts<{ evaluation: string }>().evaluation,
      grpc.credentials.createInsecure(),
    );
  const get = (experimentId: string) =>
    call<evaluation.GetExperimentResponse>(connection.apiKey(), (m, cb) =>
      experiments().getExperiment({ tenantId: '', experimentId }, m, cb),
    );

  experiment
    .command('run <dataset>')
    .requiredOption('--function <name>', 'the function whose variants run')
    .requiredOption('--variants <list>', 'the variants to compare, e.g. a,b')
    .option(
      '--gate <bounds>',
      'e.g. min_mean_score=0.8,max_error_rate=0.05,max_cost_per_example_nano_usd=2000,' +
        'max_p95_latency_ms=800,baseline_variant=a,max_score_drop=0.02',
    )
    .option('--evaluators <list>', "evaluators to score with (default: the function's)")
    .option('--concurrency <n>', 'inferences in flight at once', '4')
    .option('--wait', 'follow it to the end with a progress bar, then show the results')
    .action(
      async (
        datasetName: string,
        options: {
          function: string;
          variants: string;
          gate?: string;
          evaluators?: string;
          concurrency: string;
          wait?: boolean;
        },
      ) => {
        const request = evaluation.StartExperimentRequest.fromPartial({
          datasetName,
          functionName: options.function,
          variantNames: options.variants.split(','),
          gate: gateOf(options.gate),
          evaluators: options.evaluators ? options.evaluators.split(',') : [],
          concurrency: Number(options.concurrency),
        });
        const reply = await call<evaluation.StartExperimentResponse>(connection.apiKey(), (m, cb) =>
          experiments().startExperiment(request, m, cb),
        );
        const started = reply.experiment!;
        console.log(`experiment ${started.experimentId}: ${started.total} inferences`);
        if (!options.wait) return;
        const done = await follow(started, get);
        console.log(resultsTableOf(done));
        if (done.status === ExperimentStatus.EXPERIMENT_STATUS_FAILED) {
          throw new Error(`the experiment failed: ${done.errorMessage}`);
        }
        const failed = done.results.filter((result) => !result.passed);
        if (failed.length > 0) {
          throw new Error(
            `the gate failed ${failed.map((result) => result.variantName).join(', ')}`,
          );
        }
      },
    );
  experiment
    .command('show <experimentId>')
    .description("an experiment's progress, or its results per variant")
    .action(async (experimentId: string) => {
      const shown = (await get(experimentId)).experiment!;
      console.log(
        `experiment ${shown.experimentId} of ${shown.functionName} on ${shown.datasetName}: ` +
          `${evaluation.experimentStatusToJSON(shown.status).replace('EXPERIMENT_STATUS_', '').toLowerCase()}, ` +
          `${shown.completed}/${shown.total}`,
      );
      if (shown.errorMessage) console.log(shown.errorMessage);
      if (shown.results.length > 0) console.log(resultsTableOf(shown));
    });

  program
    .command('variant')
    .description("manage a function's variants")
    .command('promote <function> <variant>')
    .description("make the variant the one the function's fixed policy runs")
    .option('--tenant <id>', 'the tenant (else the admin key’s own)', '')
    .option('--force', "promote even when the variant's latest experiment failed its gate")
    .action(
      async (
        functionName: string,
        variantName: string,
        options: { tenant: string; force?: boolean },
      ) => {
        const reply = await call<router.PromoteVariantResponse>(connection.adminKey(), (m, cb) =>
          routerClient(connection.router()).promoteVariant(
            router.PromoteVariantRequest.fromPartial({
              tenantId: options.tenant,
              functionName,
              variantName,
              force: options.force ?? false,
            }),
            m,
            cb,
          ),
        );
        const gate = reply.gate
          ? `latest experiment ${reply.gate.experimentId}: ${reply.gate.passed ? 'passed' : 'failed (forced)'}`
          : 'no experiment yet';
        console.log(
          `function ${functionName} → variant ${variantName} (policy snapshot ${reply.policyVersion}; ${gate})`,
        );
      },
    );
}

/** Polls the experiment until it ends, with a progress bar on a terminal. */
async function follow(
  started: evaluation.Experiment,
  get: (experimentId: string) => Promise<evaluation.GetExperimentResponse>,
): Promise<evaluation.Experiment> {
  const bar = process.stdout.isTTY ? new SingleBar({ clearOnComplete: false }) : null;
  bar?.start(Number(started.total), 0);
  try {
    for (;;) {
      const current = (await get(started.experimentId)).experiment!;
      bar?.update(Number(current.completed));
      if (current.status !== ExperimentStatus.EXPERIMENT_STATUS_RUNNING) return current;
      await setTimeout(POLL_MS);
    }
  } finally {
    bar?.stop();
  }
}
