import { feedback } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { MAX_CORRECTION_CHARS, MAX_ID_CHARS, submissionOf } from './submission';

const request = (fields: Partial<feedback.SubmitRequest>) =>
  feedback.SubmitRequest.fromPartial({ inferenceId: 'inf-1', idempotencyKey: 'k', ...fields });

function refusal(fields: Partial<feedback.SubmitRequest>): { field: string; message: string } {
  try {
    submissionOf(request(fields));
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('submissionOf', () => {
  it('targets the inference or the episode named, with the one value set', () => {
    expect(submissionOf(request({ rating: 4 }))).toMatchObject({
      target: { kind: 'inference', id: 'inf-1' },
      value: { rating: 4 },
      idempotencyKey: 'k',
    });
    expect(
      submissionOf(request({ inferenceId: '', episodeId: 'ep-1', thumbsUp: false })),
    ).toMatchObject({ target: { kind: 'episode', id: 'ep-1' }, value: { thumbsUp: false } });
    expect(submissionOf(request({ metric: { name: 'time_saved_s', value: 42.5 } })).value).toEqual({
      metric: { name: 'time_saved_s', value: 42.5 },
    });
  });

  it('refuses both targets or none, naming inference_id', () => {
    expect(refusal({ episodeId: 'ep-1', rating: 3 })).toEqual({
      field: 'inference_id',
      message: 'inference_id: set inference_id or episode_id, not both',
    });
    expect(refusal({ inferenceId: '', rating: 3 }).field).toBe('inference_id');
  });

  it('refuses a submission without a value', () => {
    expect(refusal({}).field).toBe('value');
  });

  it.each([0, 6, -1])('refuses rating %d, outside 1 to 5', (rating) => {
    expect(refusal({ rating })).toEqual({
      field: 'rating',
      message: `rating: ${rating} is outside 1 to 5`,
    });
  });

  it('refuses a metric without a valid name or with a value that is not finite', () => {
    expect(refusal({ metric: { name: '', value: 1 } }).field).toBe('metric.name');
    expect(refusal({ metric: { name: '9lives', value: 1 } }).field).toBe('metric.name');
    expect(refusal({ metric: { name: 'ok', value: Number.NaN } }).field).toBe('metric.value');
    expect(refusal({ metric: { name: 'ok', value: Infinity } }).field).toBe('metric.value');
  });

  it('refuses blank or oversized text', () => {
    expect(refusal({ comment: '  ' }).field).toBe('comment');
    expect(refusal({ correction: 'x'.repeat(MAX_CORRECTION_CHARS + 1) }).field).toBe('correction');
    expect(submissionOf(request({ correction: 'x'.repeat(MAX_CORRECTION_CHARS) })).value).toEqual({
      correction: 'x'.repeat(MAX_CORRECTION_CHARS),
    });
  });

  it('requires an idempotency key and bounds the ids', () => {
    expect(refusal({ idempotencyKey: '', thumbsUp: true }).field).toBe('idempotency_key');
    expect(refusal({ idempotencyKey: 'k'.repeat(MAX_ID_CHARS + 1), thumbsUp: true }).field).toBe(
      'idempotency_key',
    );
    expect(refusal({ inferenceId: 'i'.repeat(MAX_ID_CHARS + 1), thumbsUp: true }).field).toBe(
      'inference_id',
    );
  });

  it('fingerprints everything but the key: the same feedback matches, other feedback does not', () => {
    const first = submissionOf(request({ thumbsUp: true, idempotencyKey: 'a' }));
    expect(submissionOf(request({ thumbsUp: true, idempotencyKey: 'b' })).fingerprint).toBe(
      first.fingerprint,
    );
    expect(submissionOf(request({ thumbsUp: false })).fingerprint).not.toBe(first.fingerprint);
    expect(submissionOf(request({ inferenceId: 'inf-2', thumbsUp: true })).fingerprint).not.toBe(
      first.fingerprint,
    );
  });
});
