// What a Submit request asks for, once checked: its target, its one value and its key. Every
// refusal names the field at fault.
import { createHash } from 'node:crypto';
import { feedback } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

/** The longest inference id, episode id and idempotency key (as inference accepts them). */
export const MAX_ID_CHARS = 256;
/** A correction is an answer: as long as a long answer. */
export const MAX_CORRECTION_CHARS = 32_000;
export const MAX_COMMENT_CHARS = 4_000;
/** Metric names read like identifiers: `resolved`, `time_saved_s`, `checkout.converted`. */
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export type Target = { kind: 'inference'; id: string } | { kind: 'episode'; id: string };

/** Exactly one field set, as in the proto's `value` oneof. */
export type FeedbackValue = Pick<
  feedback.Feedback,
  'thumbsUp' | 'rating' | 'correction' | 'comment' | 'metric'
>;

export interface Submission {
  target: Target;
  value: FeedbackValue;
  idempotencyKey: string;
  /** What makes two submissions with one key the same: everything but the key. */
  fingerprint: string;
}

export function submissionOf(request: feedback.SubmitRequest): Submission {
  return {
    target: targetOf(request),
    value: valueOf(request),
    idempotencyKey: requiredId('idempotency_key', request.idempotencyKey),
    fingerprint: fingerprintOf(request),
  };
}

/** Exactly one of inference_id and episode_id, as Submit and ListFeedback take them. */
export function targetOf(request: { inferenceId: string; episodeId: string }): Target {
  const hasInference = request.inferenceId !== '';
  const hasEpisode = request.episodeId !== '';
  if (hasInference === hasEpisode) {
    throw new InvalidArgumentError(
      'inference_id',
      hasInference ? 'set inference_id or episode_id, not both' : 'set inference_id or episode_id',
    );
  }
  return hasInference
    ? { kind: 'inference', id: requiredId('inference_id', request.inferenceId) }
    : { kind: 'episode', id: requiredId('episode_id', request.episodeId) };
}

function valueOf(request: feedback.SubmitRequest): FeedbackValue {
  const { thumbsUp, rating, correction, comment, metric } = request;
  if (thumbsUp !== undefined) return { thumbsUp };
  if (rating !== undefined) {
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
      throw new InvalidArgumentError('rating', `${rating} is outside 1 to 5`);
    }
    return { rating };
  }
  if (correction !== undefined) {
    return { correction: text('correction', correction, MAX_CORRECTION_CHARS) };
  }
  if (comment !== undefined) return { comment: text('comment', comment, MAX_COMMENT_CHARS) };
  if (metric !== undefined) {
    if (!METRIC_NAME.test(metric.name)) {
      throw new InvalidArgumentError(
        'metric.name',
        `'${metric.name}' is not 1 to 64 letters, digits, '_', '.' or '-' starting with a letter`,
      );
    }
    if (!Number.isFinite(metric.value)) {
      throw new InvalidArgumentError('metric.value', `${metric.value} is not a finite number`);
    }
    return { metric: { name: metric.name, value: metric.value } };
  }
  throw new InvalidArgumentError(
    'value',
    'set one of thumbs_up, rating, correction, comment or metric',
  );
}

function text(field: string, value: string, maxChars: number): string {
  if (value.trim() === '') throw new InvalidArgumentError(field, 'must not be empty');
  if (value.length > maxChars) {
    throw new InvalidArgumentError(
      field,
      `${value.length} characters; at most ${maxChars} are allowed`,
    );
  }
  return value;
}

function requiredId(field: string, value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError(field, 'is required');
  if (value.length > MAX_ID_CHARS) {
    throw new InvalidArgumentError(
      field,
      `${value.length} characters; at most ${MAX_ID_CHARS} are allowed`,
    );
  }
  return value;
}

function fingerprintOf(request: feedback.SubmitRequest): string {
  const normalized = feedback.SubmitRequest.fromPartial({ ...request, idempotencyKey: '' });
  return createHash('sha256')
    .update(feedback.SubmitRequest.encode(normalized).finish())
    .digest('hex');
}
