import { streamOf } from '@keel/contracts';
import { streamConfigOf } from './streams';

describe('streamConfigOf', () => {
  it('keeps a domain’s events on file, by limits, for the contract’s age and duplicate window', () => {
    expect(streamConfigOf(streamOf('inference', 'keel'))).toEqual({
      name: 'KEEL_INFERENCE',
      subjects: ['keel.inference.>'],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      max_age: 7 * 24 * 3600 * 1e9,
      duplicate_window: 10 * 60 * 1e9,
    });
  });
});
