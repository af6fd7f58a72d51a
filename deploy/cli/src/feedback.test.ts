import { feedback } from '@keel/contracts';
import { describeFeedback, submitRequestOf } from './feedback';

const fixedKey = () => 'generated-key';

describe('submitRequestOf', () => {
  it('turns each value flag into its field', () => {
    const of = (flags: Parameters<typeof submitRequestOf>[1]) =>
      submitRequestOf('inf-1', flags, fixedKey);
    expect(of({ thumbsUp: true }).thumbsUp).toBe(true);
    expect(of({ thumbsDown: true }).thumbsUp).toBe(false);
    expect(of({ rating: '4' }).rating).toBe(4);
    expect(of({ correction: 'Tuesday' }).correction).toBe('Tuesday');
    expect(of({ comment: 'slow' }).comment).toBe('slow');
    expect(of({ metric: 'time_saved_s=42.5' }).metric).toEqual({
      name: 'time_saved_s',
      value: 42.5,
    });
  });

  it('targets an episode with --episode, and keeps a given idempotency key', () => {
    expect(
      submitRequestOf(undefined, { episode: 'ep-1', thumbsUp: true, idempotencyKey: 'k' }),
    ).toEqual(
      feedback.SubmitRequest.fromPartial({
        episodeId: 'ep-1',
        thumbsUp: true,
        idempotencyKey: 'k',
      }),
    );
  });

  it('makes a new idempotency key when none is given', () => {
    expect(submitRequestOf('inf-1', { thumbsUp: true }, fixedKey).idempotencyKey).toBe(
      'generated-key',
    );
  });

  it('refuses no target, two targets, and anything but one value', () => {
    expect(() => submitRequestOf(undefined, { thumbsUp: true })).toThrow('not both');
    expect(() => submitRequestOf('inf-1', { episode: 'ep-1', thumbsUp: true })).toThrow('not both');
    expect(() => submitRequestOf('inf-1', {})).toThrow('give exactly one of');
    expect(() => submitRequestOf('inf-1', { thumbsUp: true, rating: '3' })).toThrow(
      'give exactly one of',
    );
  });

  it('refuses a rating or metric that does not parse, naming the flag', () => {
    expect(() => submitRequestOf('inf-1', { rating: 'five' })).toThrow("--rating: 'five'");
    expect(() => submitRequestOf('inf-1', { metric: 'resolved' })).toThrow(
      "--metric: 'resolved' is not name=number",
    );
    expect(() => submitRequestOf('inf-1', { metric: 'resolved=' })).toThrow('--metric');
    expect(() => submitRequestOf('inf-1', { metric: 'resolved=yes' })).toThrow('--metric');
  });
});

describe('describeFeedback', () => {
  it('says what was said, and of which episode', () => {
    const of = (fields: Partial<feedback.Feedback>) =>
      describeFeedback(feedback.Feedback.fromPartial(fields));
    expect(of({ thumbsUp: false })).toBe('thumbs down');
    expect(of({ rating: 2 })).toBe('rating 2/5');
    expect(of({ correction: 'Tuesday' })).toBe('correction: Tuesday');
    expect(of({ metric: { name: 'resolved', value: 1 }, episodeId: 'ep-1' })).toBe(
      'metric resolved=1 (on episode ep-1)',
    );
  });
});
