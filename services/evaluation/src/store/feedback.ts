// Feedback as evaluation holds it, copied from `FeedbackRecorded` events: one document per
// feedback, its `_id` `<tenant_id>/<feedback_id>`, so a redelivered event adds nothing. Read
// beside the evaluations of an inference, and by datasets (a correction becomes an example). One
// feedback is read by `_id` alone: the only filter FerretDB 1.24 serves from an index (any
// other scans the collection); the tenant in the `_id` keeps the read within its tenant.
import { feedback } from '@keel/contracts';
import { insertOnce, type Store } from '@keel/store';
import { type Collection, Double } from 'mongodb';

export interface FeedbackDocument {
  /** `<tenant_id>/<feedback_id>` (see idOf). */
  _id: string;
  feedback_id: string;
  tenant_id: string;
  /** Empty for feedback on an episode. */
  inference_id: string;
  /** Empty for feedback on one inference. */
  episode_id: string;
  function_name: string;
  variant_name: string;
  /** Exactly one of the values is set, as in `feedback.Feedback`. */
  thumbs_up?: boolean;
  rating?: number;
  correction?: string;
  comment?: string;
  /** Written as a BSON double so integral values are not stored as int32. */
  metric?: { name: string; value: Double | number };
  idempotency_key: string;
  created_at: Date;
}

export const FEEDBACK = 'feedback';

export function feedbackCollectionOf(store: Store): Collection<FeedbackDocument> {
  return store.collection<FeedbackDocument>(FEEDBACK);
}

/** Tenant ids hold no `/`: the tenant is what precedes the first. */
function idOf(tenantId: string, feedbackId: string): string {
  return `${tenantId}/${feedbackId}`;
}

export function feedbackDocumentOf(message: feedback.Feedback, recordedAt: Date): FeedbackDocument {
  return {
    _id: idOf(message.tenantId, message.feedbackId),
    feedback_id: message.feedbackId,
    tenant_id: message.tenantId,
    inference_id: message.inferenceId,
    episode_id: message.episodeId,
    function_name: message.functionName,
    variant_name: message.variantName,
    ...(message.thumbsUp !== undefined ? { thumbs_up: message.thumbsUp } : {}),
    ...(message.rating !== undefined ? { rating: message.rating } : {}),
    ...(message.correction !== undefined ? { correction: message.correction } : {}),
    ...(message.comment !== undefined ? { comment: message.comment } : {}),
    ...(message.metric
      ? { metric: { name: message.metric.name, value: new Double(message.metric.value) } }
      : {}),
    idempotency_key: message.idempotencyKey,
    created_at: message.createdAt ?? recordedAt,
  };
}

export function feedbackOf(doc: FeedbackDocument): feedback.Feedback {
  return feedback.Feedback.fromPartial({
    feedbackId: doc.feedback_id,
    tenantId: doc.tenant_id,
    inferenceId: doc.inference_id,
    episodeId: doc.episode_id,
    functionName: doc.function_name,
    variantName: doc.variant_name,
    thumbsUp: doc.thumbs_up,
    rating: doc.rating,
    correction: doc.correction,
    comment: doc.comment,
    metric: doc.metric ? { name: doc.metric.name, value: Number(doc.metric.value) } : undefined,
    idempotencyKey: doc.idempotency_key,
    createdAt: doc.created_at,
  });
}

/** Stores the feedback unless an earlier delivery already did. */
export async function recordFeedback(
  collection: Collection<FeedbackDocument>,
  doc: FeedbackDocument,
): Promise<void> {
  await insertOnce(collection, doc);
}

/** One feedback of the tenant, or null when the tenant has none with that id. */
export async function feedbackById(
  collection: Collection<FeedbackDocument>,
  tenantId: string,
  feedbackId: string,
): Promise<feedback.Feedback | null> {
  const doc = await collection.findOne({ _id: idOf(tenantId, feedbackId) });
  return doc ? feedbackOf(doc) : null;
}

/**
 * The feedback on each inference and on its episode (when it has one), oldest first, by
 * inference id: what an analyst reads beside the inferences' evaluations.
 */
export async function feedbackOnInferences(
  collection: Collection<FeedbackDocument>,
  tenantId: string,
  inferences: Array<{ inference_id: string; episode_id?: string }>,
): Promise<Map<string, feedback.Feedback[]>> {
  const inferenceIds = inferences.map((doc) => doc.inference_id);
  const episodeIds = [...new Set(inferences.map((doc) => doc.episode_id ?? '').filter(Boolean))];
  const docs = await collection
    .find({
      tenant_id: tenantId,
      $or: [
        { inference_id: { $in: inferenceIds } },
        { inference_id: '', episode_id: { $in: episodeIds } },
      ],
    })
    .sort({ created_at: 1, feedback_id: 1 })
    .toArray();
  return new Map(
    inferences.map((inference) => [
      inference.inference_id,
      docs
        .filter(
          (doc) =>
            doc.inference_id === inference.inference_id ||
            (doc.inference_id === '' &&
              !!inference.episode_id &&
              doc.episode_id === inference.episode_id),
        )
        .map(feedbackOf),
    ]),
  );
}
