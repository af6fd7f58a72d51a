// `keel.evaluation.evaluator.outcomes`: what each evaluator did with each inference, by tenant,
// function, evaluator and outcome (run, skip, error, dead_letter). Counted when the outcome is
// first recorded, so a redelivery adds nothing.
import { type Counter, metrics } from '@opentelemetry/api';
import type { EvaluatorOutcomeDocument } from '../store/evaluator-stats';

export class EvaluatorMetrics {
  private readonly outcomes: Counter;

  /** Built when the consumer starts, after the service has registered its meter provider. */
  constructor() {
    this.outcomes = metrics
      .getMeter('@keel/evaluation')
      .createCounter('keel.evaluation.evaluator.outcomes', {
        description:
          'Inferences each evaluator ran on, skipped (sampling or not applicable), failed on, or lost to the dead-letter stream',
        unit: '{inference}',
      });
  }

  count(doc: EvaluatorOutcomeDocument): void {
    this.outcomes.add(1, {
      'keel.tenant.id': doc.tenant_id,
      'keel.function.name': doc.function_name,
      'keel.evaluator': doc.evaluator,
      'keel.evaluator.outcome': doc.outcome,
    });
  }
}
