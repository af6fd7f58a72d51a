// The experiments this process is running: started in the background, stopped (and marked
// FAILED) when the service stops.
import { type ExperimentDeps, type ExperimentRun, runExperiment } from './run-experiment';

export class ExperimentRuns {
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: ExperimentDeps) {}

  start(run: ExperimentRun): void {
    const { tenantId, experimentId } = run.experiment;
    const done: Promise<void> = runExperiment(this.deps, run, this.stopping.signal)
      .catch(async (error: unknown) => {
        this.deps.logger.error({ experiment_id: experimentId, err: error }, 'experiment failed');
        const message = `the run stopped: ${(error as Error).message ?? String(error)}`;
        // Left RUNNING when the store is down too: the next start marks it FAILED.
        await this.deps.experiments
          .fail(tenantId, experimentId, message, new Date())
          .catch(() => undefined);
      })
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** Cancels each run's inferences in flight and marks the unfinished runs FAILED. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.running]);
  }
}
