// Keeps each variant's gate result from every completed experiment, for PromoteVariant to check
// promotions against. Idempotent: a redelivery writes the same results again.
import { type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { durableNameOf, evaluation, events } from '@keel/contracts';
import type { VariantGateStore } from '../store/variant-gates';

export function consumeExperimentCompleted(deps: {
  bus: Bus;
  gates: VariantGateStore;
}): Promise<Subscription> {
  return deps.bus.consume(events.experimentCompleted, {
    durable: durableNameOf('router', events.experimentCompleted),
    concurrency: 1,
    handler: async (message) => {
      const experiment = message.experiment;
      if (!experiment?.tenantId) throw new PoisonMessageError('experiment.tenant_id is missing');
      if (!experiment.experimentId) {
        throw new PoisonMessageError('experiment.experiment_id is missing');
      }
      if (experiment.status !== evaluation.ExperimentStatus.EXPERIMENT_STATUS_COMPLETED) return;
      for (const result of experiment.results) {
        await deps.gates.record({
          tenantId: experiment.tenantId,
          functionName: experiment.functionName,
          variantName: result.variantName,
          experimentId: experiment.experimentId,
          passed: result.passed,
          failures: result.gateFailures,
          completedAt: experiment.completedAt ?? message.occurredAt,
        });
      }
    },
  });
}
