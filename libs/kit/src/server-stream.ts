import { Metadata, type handleServerStreamingCall, status } from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import {
  type CallAuth,
  type CallContext,
  CallEnded,
  callSignal,
  checkAuthOptions,
  principalOf,
} from './call-context';
import type { KitLogger } from './logger';
import { measureRpc } from './rpc-metrics';
import { startRpcSpan } from './rpc-span';
import { answerOf } from './unary';

export type StreamContext = CallContext;

/**
 * Writes one message, waiting while the transport's buffer is full; rejects with the call's
 * CallEnded once the caller has left.
 */
export type Send<Res> = (message: Res) => Promise<void>;

/**
 * A server-streaming gRPC handler, like `unary`: the caller is authenticated and authorized
 * when a scope is given, the handler writes with `send`, and the stream ends with OK when the
 * handler resolves, or with the status of its error.
 */
export function serverStream<Req, Res>(
  options: CallAuth & {
    logger: KitLogger;
    handler: (request: Req, context: StreamContext, send: Send<Res>) => Promise<void>;
  },
): handleServerStreamingCall<Req, Res> {
  const { logger, handler } = options;
  checkAuthOptions('serverStream', options);

  return (call) => {
    const measured = measureRpc(call.getPath());
    const span = startRpcSpan(call.getPath(), call.metadata);
    const { signal, deadline, release } = callSignal(call);
    const trailers = new Metadata();
    const send: Send<Res> = async (message) => {
      if (signal.aborted) throw signal.reason;
      if (call.write(message)) return;
      // The buffer is full: the next write waits until it drains or the caller leaves.
      await new Promise<void>((resolve, reject) => {
        const drained = () => {
          signal.removeEventListener('abort', left);
          resolve();
        };
        const left = () => {
          call.off('drain', drained);
          reject(signal.reason as CallEnded);
        };
        call.once('drain', drained);
        signal.addEventListener('abort', left, { once: true });
      });
    };
    const run = async (): Promise<void> => {
      const principal = principalOf(call.metadata, options);
      const context = { principal, metadata: call.metadata, signal, deadline, trailers };
      await handler(call.request, context, send);
    };
    context.with(span.context, run).then(
      () => {
        release();
        measured(status.OK);
        span.end(status.OK);
        call.end(trailers);
      },
      (error: unknown) => {
        release();
        const answer = context.with(span.context, () =>
          answerOf(error, signal, call.getPath(), logger),
        );
        measured(answer.code);
        span.end(answer.code);
        // grpc-js ends a server stream with the status of an 'error' it emits.
        call.emit('error', { ...answer, metadata: trailers });
      },
    );
  };
}
