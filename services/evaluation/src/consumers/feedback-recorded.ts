// Keeps the feedback announced by FeedbackRecorded beside the evaluations: acked once stored;
// an event without its feedback's ids can never be stored and goes to the dead letters.
import { type Bus, PoisonMessageError, type Subscription } from '@keel/bus';
import { durableNameOf, events } from '@keel/contracts';
import type { Collection } from 'mongodb';
import { type FeedbackDocument, feedbackDocumentOf, recordFeedback } from '../store/feedback';

export interface FeedbackRecordedConsumer {
  bus: Bus;
  feedback: Collection<FeedbackDocument>;
  concurrency: number;
  ackWaitMs: number;
  /** Deliveries before a failing message goes to the dead-letter stream. */
  maxDeliver: number;
}

export function consumeFeedbackRecorded(deps: FeedbackRecordedConsumer): Promise<Subscription> {
  return deps.bus.consume(events.feedbackRecorded, {
    durable: durableNameOf('evaluation', events.feedbackRecorded),
    concurrency: deps.concurrency,
    ackWaitMs: deps.ackWaitMs,
    maxDeliver: deps.maxDeliver,
    handler: async (event) => {
      const recorded = event.feedback;
      if (!recorded) throw new PoisonMessageError('feedback is missing');
      if (!recorded.tenantId) throw new PoisonMessageError('feedback.tenant_id is missing');
      if (!recorded.feedbackId) throw new PoisonMessageError('feedback.feedback_id is missing');
      await recordFeedback(deps.feedback, feedbackDocumentOf(recorded, new Date()));
    },
  });
}
