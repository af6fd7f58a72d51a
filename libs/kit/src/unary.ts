import { Metadata, type handleUnaryCall, status } from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import {
  type CallAuth,
  type CallContext,
  callSignal,
  checkAuthOptions,
  endedStatus,
  principalOf,
} from './call-context';
import type { KitLogger } from './logger';
import { measureRpc } from './rpc-metrics';
import { startRpcSpan } from './rpc-span';
import { toStatus } from './status';

export type UnaryContext = CallContext;

/**
 * A unary gRPC handler: authenticates and authorizes the caller when a scope is given, runs
 * the handler, and answers errors with their status. Unknown errors are logged here, with
 * their stack, and reach the caller only as INTERNAL 'internal error'.
 */
export function unary<Req, Res>(
  options: CallAuth & {
    logger: KitLogger;
    handler: (request: Req, context: UnaryContext) => Promise<Res>;
  },
): handleUnaryCall<Req, Res> {
  const { logger, handler } = options;
  checkAuthOptions('unary', options);

  return (call, callback) => {
    const measured = measureRpc(call.getPath());
    const span = startRpcSpan(call.getPath(), call.metadata);
    const { signal, deadline, release } = callSignal(call);
    const trailers = new Metadata();
    const run = async (): Promise<Res> => {
      const principal = principalOf(call.metadata, options);
      const context = { principal, metadata: call.metadata, signal, deadline, trailers };
      return handler(call.request, context);
    };
    context.with(span.context, run).then(
      (response) => {
        release();
        measured(status.OK);
        span.end(status.OK);
        callback(null, response, trailers);
      },
      (error: unknown) => {
        release();
        const answer = context.with(span.context, () =>
          answerOf(error, signal, call.getPath(), logger),
        );
        measured(answer.code);
        span.end(answer.code);
        callback({ ...answer, metadata: trailers });
      },
    );
  };
}

/** The status of a failed call; a fault of ours is logged, with its stack, here. */
export function answerOf(
  error: unknown,
  signal: AbortSignal,
  method: string,
  logger: KitLogger,
): { code: status; details: string } {
  const ended = endedStatus(signal);
  if (ended !== null) {
    const details = ended === status.CANCELLED ? 'Cancelled' : 'Deadline exceeded';
    return { code: ended, details };
  }
  const answer = toStatus(error);
  if (answer.code === status.INTERNAL) logger.error({ err: error, method }, 'request failed');
  return answer;
}
