// At startup: a run still marked RUNNING died with the process that ran it, so it is marked
// FAILED saying so; a completed run whose ExperimentCompleted never left is announced now.
import type { Logger } from '@keel/telemetry';
import { type ExperimentDeps, announceCompleted } from './run-experiment';

export const INTERRUPTED =
  'the evaluation service restarted while the experiment ran (a run lives in the process that ' +
  'started it); start the experiment again';

export async function recoverExperiments(
  deps: Pick<ExperimentDeps, 'bus' | 'experiments'> & { logger: Logger },
): Promise<void> {
  const { experiments } = deps;
  for (const experiment of await experiments.running()) {
    await experiments.fail(experiment.tenantId, experiment.experimentId, INTERRUPTED, new Date());
    deps.logger.warn(
      { experiment_id: experiment.experimentId, tenant_id: experiment.tenantId },
      'experiment interrupted by a restart: marked failed',
    );
  }
  for (const experiment of await experiments.unpublished()) {
    await announceCompleted(deps, experiment);
  }
}
