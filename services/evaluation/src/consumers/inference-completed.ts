// Runs every evaluator on each successful inference, stores each evaluation once and
// announces it with EvaluationScored. Acked only after all of them are stored and announced.
import { type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { durableNameOf, evaluation, events, inference } from '@keel/contracts';
import type { InferencePayloads } from '@keel/payloads';
import type { Logger } from '@keel/telemetry';
import type { Collection } from 'mongodb';
import { EVALUATORS } from '../domain/evaluators';
import {
  type EvaluationDocument,
  evaluationDocumentOf,
  evaluationOf,
  recordEvaluation,
} from '../store/evaluations';

export interface InferenceCompletedConsumer {
  bus: Bus;
  evaluations: Collection<EvaluationDocument>;
  /** Where the text of an inference too large for its event is read. */
  payloads: InferencePayloads;
  logger: Logger;
  concurrency: number;
  ackWaitMs: number;
  /** Deliveries before a failing message goes to the dead-letter stream. */
  maxDeliver: number;
}

export function consumeInferenceCompleted(deps: InferenceCompletedConsumer): Promise<Subscription> {
  return deps.bus.consume(events.inferenceCompleted, {
    durable: durableNameOf('evaluation', events.inferenceCompleted),
    concurrency: deps.concurrency,
    ackWaitMs: deps.ackWaitMs,
    maxDeliver: deps.maxDeliver,
    handler: async (event) => {
      if (!event.tenantId) throw new PoisonMessageError('tenant_id is missing');
      if (!event.inferenceId) throw new PoisonMessageError('inference_id is missing');
      // A failed inference has no answer to score.
      if (event.status !== inference.InferenceStatus.INFERENCE_STATUS_OK) {
        deps.logger.debug({ inference_id: event.inferenceId }, 'inference not OK: not evaluated');
        return;
      }
      // Inline or stored apart; a payload not there yet is retried like any transient failure.
      const text = await deps.payloads.read(event);
      for (const evaluator of EVALUATORS) {
        const verdict = evaluator.evaluate(text);
        const doc = evaluationDocumentOf(event, evaluator.id, verdict, new Date());
        const stored = await recordEvaluation(deps.evaluations, doc);
        const scored = evaluation.EvaluationScored.fromPartial({
          evaluation: evaluationOf(stored),
          occurredAt: stored.created_at,
        });
        await deps.bus.publish(events.evaluationScored, scored, {
          msgId: `${stored.inference_id}:${stored.evaluator}`,
        });
      }
    },
  });
}
