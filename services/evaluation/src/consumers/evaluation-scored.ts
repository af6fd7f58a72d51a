// Feeds every stored evaluation's score to the drift check of its key; acked once any check
// it made due has run. An EvaluationScored is published after its evaluation is stored, so a
// check sees every score announced before it.
import { type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { durableNameOf, events } from '@keel/contracts';
import type { DriftCheck } from './drift-check';

export interface EvaluationScoredConsumer {
  bus: Bus;
  drift: DriftCheck;
  concurrency: number;
  ackWaitMs: number;
  /** Deliveries before a failing message goes to the dead-letter stream. */
  maxDeliver: number;
}

export function consumeEvaluationScored(deps: EvaluationScoredConsumer): Promise<Subscription> {
  return deps.bus.consume(events.evaluationScored, {
    durable: durableNameOf('evaluation', events.evaluationScored),
    concurrency: deps.concurrency,
    ackWaitMs: deps.ackWaitMs,
    maxDeliver: deps.maxDeliver,
    handler: async (event) => {
      const scored = event.evaluation;
      if (!scored) throw new PoisonMessageError('evaluation is missing');
      if (!scored.tenantId) throw new PoisonMessageError('evaluation.tenant_id is missing');
      if (!scored.evaluator) throw new PoisonMessageError('evaluation.evaluator is missing');
      await deps.drift.scored({
        tenant_id: scored.tenantId,
        function_name: scored.functionName,
        variant_name: scored.variantName,
        evaluator: scored.evaluator,
      });
    },
  });
}
