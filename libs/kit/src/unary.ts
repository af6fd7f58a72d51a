import { status, type handleUnaryCall, type Metadata } from '@grpc/grpc-js';
import type { router } from '@keel/contracts';
import type { KeyRing, Principal } from './key-ring';
import type { KitLogger } from './logger';
import { measureRpc } from './rpc-metrics';
import { toStatus } from './status';

export interface UnaryContext {
  /** The caller, when the method requires a scope; null for methods open to anyone. */
  principal: Principal | null;
  metadata: Metadata;
}

/**
 * A unary gRPC handler: authenticates and authorizes the caller when a scope is given, runs
 * the handler, and answers errors with their status. Unknown errors are logged here, with
 * their stack, and reach the caller only as INTERNAL 'internal error'.
 */
export function unary<Req, Res>(options: {
  logger: KitLogger;
  keyRing?: KeyRing;
  scope?: router.ApiKeyScope;
  handler: (request: Req, context: UnaryContext) => Promise<Res>;
}): handleUnaryCall<Req, Res> {
  const { logger, keyRing, scope, handler } = options;
  if (scope !== undefined && !keyRing) {
    throw new Error('unary: a scope needs a keyRing to check it against');
  }

  const run = async (request: Req, metadata: Metadata): Promise<Res> => {
    let principal: Principal | null = null;
    if (scope !== undefined && keyRing) {
      principal = keyRing.authenticate(metadata);
      keyRing.authorize(principal, scope);
    }
    return handler(request, { principal, metadata });
  };

  return (call, callback) => {
    const measured = measureRpc(call.getPath());
    run(call.request, call.metadata).then(
      (response) => {
        measured(status.OK);
        callback(null, response);
      },
      (error: unknown) => {
        const answer = toStatus(error);
        if (answer.code === status.INTERNAL) {
          logger.error({ err: error, method: call.getPath() }, 'request failed');
        }
        measured(answer.code);
        callback(answer);
      },
    );
  };
}
