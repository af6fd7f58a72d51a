// The feedback service: learns who owns each inference from InferenceCompleted, and takes
// feedback on the caller's own inferences and episodes (FeedbackService), announcing each with
// FeedbackRecorded. gRPC also serves health and reflection.
import { type RunningService, startService } from '@keel/kit';
import { SnapshotFollower, openSnapshotBuckets } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import type { FeedbackConfig } from './config';
import { consumeInferenceCompleted } from './consumers/inference-completed';
import { bindFeedbackService } from './rpc/server';
import { feedbackCollectionsOf } from './store/feedback';
import { feedbackIndexes } from './store/indexes';
import { ownerCollectionsOf } from './store/inference-owners';

export type FeedbackApp = RunningService;

export function startFeedback(config: FeedbackConfig, logger: Logger): Promise<FeedbackApp> {
  const options = { service: 'feedback', port: config.KEEL_FEEDBACK_PORT, env: config, logger };
  return startService(options, async ({ store, bus, server, onStop }) => {
    await store.ensureIndexes(feedbackIndexes);
    await bus.ensureStreams(['inference', 'feedback']);
    // The router's keys snapshot authenticates the callers.
    const follower = await SnapshotFollower.follow(await openSnapshotBuckets(bus), logger);
    onStop(() => follower.stop());
    const owners = ownerCollectionsOf(store);
    await consumeInferenceCompleted({
      bus,
      owners,
      concurrency: config.KEEL_FEEDBACK_CONCURRENCY,
      ackWaitMs: config.KEEL_FEEDBACK_ACK_WAIT_MS,
      maxDeliver: config.KEEL_FEEDBACK_MAX_DELIVER,
    });
    bindFeedbackService(server, {
      bus,
      owners,
      feedback: feedbackCollectionsOf(store),
      keyRing: follower.keyRing,
      logger,
    });
  });
}
