// Submit: validate → find the target among the caller's tenant's inferences → store once per
// idempotency key → publish FeedbackRecorded (Nats-Msg-Id: the feedback id) → answer. The
// answer waits for the publish, so feedback a caller saw accepted is never left unannounced.
//
// Another tenant's inference is NOT_FOUND exactly as an unknown one is: the answer never tells
// a caller that an id exists outside its tenant.
import { events, feedback } from '@keel/contracts';
import { AlreadyExistsError, NotFoundError, UnavailableError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import { uuidv7 } from 'uuidv7';
import { type InferenceOwner, newFeedback } from '../domain/feedback';
import { type Target, submissionOf } from '../domain/submission';
import {
  type FeedbackDocument,
  feedbackOf,
  markPublished,
  storeFeedback,
  wasPublished,
} from '../store/feedback';
import { latestOfEpisode, ownedInference } from '../store/inference-owners';
import type { FeedbackDeps } from './deps';

export async function submitRpc(
  deps: FeedbackDeps,
  principal: Principal,
  request: feedback.SubmitRequest,
): Promise<feedback.SubmitResponse> {
  const submission = submissionOf(request);
  const owner = await ownerOf(deps, principal.tenantId, submission.target);
  const recorded = newFeedback(submission, owner, uuidv7(), new Date());
  const { inserted, stored } = await storeFeedback(deps.feedback, recorded, submission.fingerprint);
  if (!inserted && stored.request_sha256 !== submission.fingerprint) {
    throw new AlreadyExistsError(
      `idempotency_key '${submission.idempotencyKey}' was already used for other feedback ` +
        `(${stored.feedback_id}); use a new key for new feedback`,
    );
  }
  const message = feedbackOf(stored);
  if (inserted || !(await wasPublished(deps.feedback, stored))) {
    await publish(deps, stored, message);
  }
  return { feedback: message, idempotentReplay: !inserted };
}

async function ownerOf(
  deps: FeedbackDeps,
  tenantId: string,
  target: Target,
): Promise<InferenceOwner> {
  if (target.kind === 'inference') {
    const owner = await ownedInference(deps.owners, tenantId, target.id);
    if (!owner) {
      throw new NotFoundError(
        `inference '${target.id}' not found: feedback learns of an inference a moment after ` +
          'its answer, so retry shortly if it was just answered',
      );
    }
    return owner;
  }
  const latest = await latestOfEpisode(deps.owners, tenantId, target.id);
  if (!latest) {
    throw new NotFoundError(
      `episode '${target.id}' not found: feedback learns of an episode a moment after the ` +
        'answer of its first inference, so retry shortly if it was just answered',
    );
  }
  return latest;
}

/**
 * A repeat of a submission whose publish failed (or whose first attempt is still publishing)
 * publishes again: JetStream keeps one message per feedback id.
 */
async function publish(
  deps: FeedbackDeps,
  stored: FeedbackDocument,
  message: feedback.Feedback,
): Promise<void> {
  try {
    await deps.bus.publish(
      events.feedbackRecorded,
      feedback.FeedbackRecorded.fromPartial({ feedback: message, occurredAt: stored.created_at }),
      { msgId: stored.feedback_id },
    );
  } catch (error) {
    throw new UnavailableError(
      'the feedback was stored but could not be announced; retry with the same idempotency_key',
      { cause: error },
    );
  }
  await markPublished(deps.feedback, stored);
}
