import { inference, router } from '@keel/contracts';
import { type KeelServer, serverStream, unary } from '@keel/kit';
import { complete } from './rpc/complete';
import type { InferenceDependencies } from './rpc/deps';
import { stream } from './rpc/stream';

/** Binds InferenceService: every method needs a key with the inference scope. */
export function bindInference(server: KeelServer, deps: InferenceDependencies): void {
  const auth = {
    logger: deps.logger,
    keyRing: deps.follower.keyRing,
    scope: router.ApiKeyScope.API_KEY_SCOPE_INFERENCE,
  };
  server.addService(inference.InferenceServiceService, {
    complete: unary({ ...auth, handler: complete(deps) }),
    stream: serverStream({ ...auth, handler: stream(deps) }),
  });
}
