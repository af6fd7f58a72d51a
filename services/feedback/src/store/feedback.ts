// The feedback submitted: one document per (tenant, idempotency key), so a repeated submission
// finds the first one's document; and a document in `feedback_published` per feedback whose
// FeedbackRecorded is on the bus, so a repeat whose first attempt stored but could not publish
// publishes it then. A marker is inserted rather than a flag updated: FerretDB 1.24 scans the
// collection for an update, even by `_id`. Read by `_id` (see ids.ts), except ListFeedback's lists.
import { feedback } from '@keel/contracts';
import { insertOnce, insertOnceOrGet, type Store } from '@keel/store';
import { type Collection, Double } from 'mongodb';
import type { Target } from '../domain/submission';
import { idOf } from './ids';

export interface FeedbackDocument {
  /** `<tenant_id>/<idempotency_key>`. */
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
  /** The submission's fingerprint (see domain/submission.ts): a repeat must match it. */
  request_sha256: string;
  created_at: Date;
}

/** The feedback's FeedbackRecorded is on the bus; `_id` is the feedback document's. */
export interface PublishedDocument {
  _id: string;
  published_at: Date;
}

export const FEEDBACK = 'feedback';
export const PUBLISHED = 'feedback_published';

export interface FeedbackCollections {
  feedback: Collection<FeedbackDocument>;
  published: Collection<PublishedDocument>;
}

export function feedbackCollectionsOf(store: Store): FeedbackCollections {
  return {
    feedback: store.collection<FeedbackDocument>(FEEDBACK),
    published: store.collection<PublishedDocument>(PUBLISHED),
  };
}

/**
 * Stores the feedback unless the tenant already used its idempotency key; returns the document
 * stored under that key, and whether this call stored it.
 */
export async function storeFeedback(
  collections: FeedbackCollections,
  message: feedback.Feedback,
  requestSha256: string,
): Promise<{ inserted: boolean; stored: FeedbackDocument }> {
  const doc: FeedbackDocument = {
    _id: idOf(message.tenantId, message.idempotencyKey),
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
    request_sha256: requestSha256,
    created_at: message.createdAt ?? new Date(),
  };
  return insertOnceOrGet(collections.feedback, doc, { _id: doc._id });
}

export async function markPublished(
  collections: FeedbackCollections,
  doc: FeedbackDocument,
): Promise<void> {
  await insertOnce(collections.published, { _id: doc._id, published_at: new Date() });
}

export async function wasPublished(
  collections: FeedbackCollections,
  doc: FeedbackDocument,
): Promise<boolean> {
  return (await collections.published.findOne({ _id: doc._id })) !== null;
}

/** The tenant's feedback on one inference or one episode, oldest first. */
export async function listFeedback(
  collections: FeedbackCollections,
  tenantId: string,
  target: Target,
): Promise<feedback.Feedback[]> {
  const on = target.kind === 'inference' ? { inference_id: target.id } : { episode_id: target.id };
  const docs = await collections.feedback
    .find({ tenant_id: tenantId, ...on })
    .sort({ created_at: 1, feedback_id: 1 })
    .toArray();
  return docs.map(feedbackOf);
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
