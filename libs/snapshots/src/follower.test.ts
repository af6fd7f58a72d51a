import type { KvBucket } from '@keel/bus';
import pino from 'pino';
import { SnapshotFollower } from './follower';

// What follow() leaves behind when it cannot start both watches: buckets that watch on cue.

describe('SnapshotFollower.follow', () => {
  it('stops the policy watch when the keys watch cannot start', async () => {
    const policyWatch = { stops: 0, stop: () => (policyWatch.stops += 1) };
    const buckets = {
      policy: { watch: async () => policyWatch } as unknown as KvBucket,
      keys: {
        watch: async () => {
          throw new Error('no responders');
        },
      } as unknown as KvBucket,
      catalog: {} as KvBucket,
    };

    await expect(SnapshotFollower.follow(buckets, pino({ level: 'silent' }))).rejects.toThrow(
      'no responders',
    );
    expect(policyWatch.stops).toBe(1);
  });
});
