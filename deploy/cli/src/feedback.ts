// `keel feedback`: what a user said of an inference or an episode (a key with the feedback scope).
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { feedback } from '@keel/contracts';
import { call } from '@keel/kit';
import { type Command, Option } from 'commander';

export interface FeedbackFlags {
  thumbsUp?: boolean;
  thumbsDown?: boolean;
  rating?: string;
  correction?: string;
  comment?: string;
  metric?: string;
  episode?: string;
  idempotencyKey?: string;
  json?: boolean;
}

const VALUE_FLAGS = [
  'thumbsUp',
  'thumbsDown',
  'rating',
  'correction',
  'comment',
  'metric',
] as const;

/** The request the flags describe; refuses flags that name no target, or not exactly one value. */
export function submitRequestOf(
  inferenceId: string | undefined,
  flags: FeedbackFlags,
  newKey: () => string = randomUUID,
): feedback.SubmitRequest {
  if (!inferenceId === !flags.episode) {
    throw new Error('name an inference id or --episode <id>, not both');
  }
  const given = VALUE_FLAGS.filter((flag) => flags[flag] !== undefined);
  if (given.length !== 1) {
    throw new Error(
      'give exactly one of --thumbs-up, --thumbs-down, --rating, --correction, --comment, --metric',
    );
  }
  return feedback.SubmitRequest.fromPartial({
    inferenceId: inferenceId ?? '',
    episodeId: flags.episode ?? '',
    ...valueOf(flags),
    idempotencyKey: flags.idempotencyKey ?? newKey(),
  });
}

function valueOf(flags: FeedbackFlags): Partial<feedback.SubmitRequest> {
  if (flags.thumbsUp) return { thumbsUp: true };
  if (flags.thumbsDown) return { thumbsUp: false };
  if (flags.rating !== undefined) {
    if (!/^\d+$/.test(flags.rating)) throw new Error(`--rating: '${flags.rating}' is not 1 to 5`);
    return { rating: Number(flags.rating) };
  }
  if (flags.correction !== undefined) return { correction: flags.correction };
  if (flags.comment !== undefined) return { comment: flags.comment };
  const metric = flags.metric ?? '';
  const split = metric.indexOf('=');
  const value = Number(metric.slice(split + 1));
  if (split <= 0 || metric.slice(split + 1).trim() === '' || !Number.isFinite(value)) {
    throw new Error(`--metric: '${metric}' is not name=number`);
  }
  return { metric: { name: metric.slice(0, split), value } };
}

/** One line for a feedback: what was said, and of what. */
export function describeFeedback(item: feedback.Feedback): string {
  const said =
    item.thumbsUp !== undefined
      ? item.thumbsUp
        ? 'thumbs up'
        : 'thumbs down'
      : item.rating !== undefined
        ? `rating ${item.rating}/5`
        : item.correction !== undefined
          ? `correction: ${item.correction}`
          : item.comment !== undefined
            ? `comment: ${item.comment}`
            : `metric ${item.metric?.name}=${item.metric?.value}`;
  return item.episodeId ? `${said} (on episode ${item.episodeId})` : said;
}

export function addFeedbackCommand(program: Command, apiKey: () => string): void {
  program
    .command('feedback')
    .description('give feedback on an inference, or on an episode (a key with the feedback scope)')
    .argument('[inference-id]', 'the inference (or give --episode)')
    .addOption(
      new Option('--feedback <address>', 'feedback gRPC address')
        .env('KEEL_FEEDBACK_ADDR')
        .default('127.0.0.1:50055'),
    )
    .option('--thumbs-up', 'the answer was good')
    .option('--thumbs-down', 'the answer was bad')
    .option('--rating <n>', 'a rating from 1 to 5')
    .option('--correction <text>', 'the answer that was wanted instead')
    .option('--comment <text>', 'a comment')
    .option('--metric <name=value>', 'a measured outcome, e.g. resolved=1')
    .option('--episode <id>', 'feedback on this episode instead of one inference')
    .option(
      '--idempotency-key <key>',
      'retrying with the same key stores nothing new (default: a new key, printed)',
    )
    .option('--json', 'print the response as JSON')
    .action(
      async (inferenceId: string | undefined, flags: FeedbackFlags & { feedback: string }) => {
        const request = submitRequestOf(inferenceId, flags);
        const client = new feedback.FeedbackServiceClient(
          flags.feedback,
          grpc.credentials.createInsecure(),
        );
        const reply = await call<feedback.SubmitResponse>(apiKey(), (metadata, callback) =>
          client.submit(request, metadata, callback),
        );
        if (flags.json) {
          console.log(JSON.stringify(feedback.SubmitResponse.toJSON(reply), null, 2));
          return;
        }
        const stored = reply.feedback!;
        const target = stored.inferenceId
          ? `inference ${stored.inferenceId}`
          : `episode ${stored.episodeId}`;
        console.log(
          `feedback ${stored.feedbackId} on ${target} (${stored.functionName}/${stored.variantName})`,
        );
        console.log(`  ${describeFeedback(stored)}`);
        console.log(
          reply.idempotentReplay
            ? `idempotency key: ${stored.idempotencyKey} (already stored: nothing new)`
            : `idempotency key: ${stored.idempotencyKey}`,
        );
      },
    );
}
