// Runs an experiment: every example against every variant through the real inference path (the
// variant pinned, at most `concurrency` calls at once), each answer scored by the evaluators as
// the pipeline scores them, progress counted as it goes; then the figures per variant, the
// gate's verdict, and ExperimentCompleted. The run lives in this process: a stop ends it FAILED,
// and after a crash the next start marks it FAILED (see recoverExperiments).
import { setTimeout } from 'node:timers/promises';
import type { Bus } from '@keel/bus';
import { evaluation, events, inference, type router } from '@keel/contracts';
import type { EvaluatedInference, JudgeClient } from '@keel/evaluators';
import type { Logger } from '@keel/telemetry';
import type { PlannedEvaluator } from '../domain/evaluation-plans';
import { type EvaluatorOutcome, evaluatorOutcome } from '../domain/evaluator-outcome';
import { type ExampleRun, gatedResults, variantResultOf } from '../domain/experiment-results';
import type { ExperimentStore } from '../store/experiments';
import { EXAMPLE_TAG, EXPERIMENT_TAG, type ExperimentInference } from './experiment-inference';

const { ExperimentStatus } = evaluation;
/** Tries of an evaluator that failed transiently (its judge unreachable) before it is let go. */
const EVALUATOR_TRIES = 3;

export interface ExperimentDeps {
  experiments: ExperimentStore;
  bus: Bus;
  inference: ExperimentInference;
  judgeFor(tenantId: string): JudgeClient;
  logger: Logger;
}

export interface ExperimentRun {
  /** As stored when it started: RUNNING, nothing completed. */
  experiment: evaluation.Experiment;
  examples: evaluation.DatasetExample[];
  evaluators: PlannedEvaluator[];
  serviceLevel: router.ServiceLevel | undefined;
  /** The starting caller's key. */
  apiKey: string;
  concurrency: number;
}

/** Why a run ended early when its service stopped. */
export const STOPPED =
  'the evaluation service stopped while the experiment ran; start the experiment again';

/** Runs the experiment to its end, or until `signal` aborts (then marks it FAILED). */
export async function runExperiment(
  deps: ExperimentDeps,
  run: ExperimentRun,
  signal: AbortSignal,
): Promise<void> {
  const { experiment } = run;
  const jobs = run.examples.flatMap((example) =>
    experiment.variantNames.map((variantName) => ({ example, variantName })),
  );
  const runs = new Map(experiment.variantNames.map((name) => [name, [] as ExampleRun[]]));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !signal.aborted) {
      const job = jobs[next++];
      const result = await runExample(deps, run, job.example, job.variantName, signal);
      runs.get(job.variantName)!.push(result);
      await deps.experiments.progress(experiment.tenantId, experiment.experimentId, 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.concurrency, jobs.length) }, worker));
  if (signal.aborted) {
    await deps.experiments.fail(experiment.tenantId, experiment.experimentId, STOPPED, new Date());
    return;
  }

  const results = gatedResults(
    experiment.variantNames.map((name) => variantResultOf(name, runs.get(name)!)),
    experiment.gate ?? evaluation.ExperimentGate.fromPartial({}),
  );
  const completed: evaluation.Experiment = {
    ...experiment,
    status: ExperimentStatus.EXPERIMENT_STATUS_COMPLETED,
    completed: BigInt(jobs.length),
    results,
    completedAt: new Date(),
  };
  await deps.experiments.complete(completed);
  // Completed it stays: an event that cannot leave now is published at the next start.
  await announceCompleted(deps, completed).catch((error: unknown) =>
    deps.logger.error(
      { experiment_id: experiment.experimentId, err: error },
      'ExperimentCompleted not published; it will be at the next start',
    ),
  );
}

/** Publishes ExperimentCompleted (once per experiment id) and records that it left. */
export async function announceCompleted(
  deps: Pick<ExperimentDeps, 'bus' | 'experiments'>,
  experiment: evaluation.Experiment,
): Promise<void> {
  await deps.bus.publish(
    events.experimentCompleted,
    { experiment, occurredAt: experiment.completedAt ?? new Date() },
    { msgId: experiment.experimentId },
  );
  await deps.experiments.markPublished(experiment.tenantId, experiment.experimentId);
}

async function runExample(
  deps: ExperimentDeps,
  run: ExperimentRun,
  example: evaluation.DatasetExample,
  variantName: string,
  signal: AbortSignal,
): Promise<ExampleRun> {
  const { experiment } = run;
  const request = inference.CompleteRequest.fromPartial({
    functionName: experiment.functionName,
    variantName,
    messages: example.messages,
    reference: example.reference,
    tags: {
      ...example.tags,
      [EXPERIMENT_TAG]: experiment.experimentId,
      [EXAMPLE_TAG]: example.exampleId,
    },
    // An experiment measures the variant, not the cache.
    bypassCache: true,
  });
  let answer;
  try {
    answer = await deps.inference.complete(run.apiKey, request, signal);
  } catch (error) {
    deps.logger.warn(
      { experiment_id: experiment.experimentId, example_id: example.exampleId, err: error },
      'experiment inference failed: counted as an error',
    );
    return {};
  }
  const { response, latencyMs } = answer;
  const evaluated: EvaluatedInference = {
    inferenceId: response.inferenceId,
    functionName: response.functionName,
    variantName: response.variantName,
    model: response.model,
    inputMessages: example.messages,
    outputText: response.text,
    toolCalls: response.toolCalls,
    reference: example.reference,
    latencyMs,
    costNanoUsd: response.costNanoUsd,
    serviceLevel: run.serviceLevel,
  };
  const judge = deps.judgeFor(experiment.tenantId);
  const scores: Array<{ evaluator: string; score: number }> = [];
  for (const planned of run.evaluators) {
    const outcome = await outcomeWithRetries(planned, evaluated, judge);
    if (outcome?.kind === 'run')
      scores.push({ evaluator: planned.id, score: outcome.verdict.score });
  }
  return { answer: { latencyMs, costNanoUsd: response.costNanoUsd, scores } };
}

/** The evaluator's outcome; null when it kept failing transiently. */
async function outcomeWithRetries(
  planned: PlannedEvaluator,
  evaluated: EvaluatedInference,
  judge: JudgeClient,
): Promise<EvaluatorOutcome | null> {
  for (let attempt = 1; attempt <= EVALUATOR_TRIES; attempt += 1) {
    try {
      return await evaluatorOutcome(planned, evaluated, judge);
    } catch {
      if (attempt < EVALUATOR_TRIES) await setTimeout(250 * 2 ** attempt);
    }
  }
  return null;
}
