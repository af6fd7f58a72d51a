import { inference, router } from '@keel/contracts';
import { type KeelServer, unary } from '@keel/kit';
import { type CompleteDependencies, complete } from './rpc/complete';

/** Binds InferenceService: every method needs a key with the inference scope. */
export function bindInference(server: KeelServer, deps: CompleteDependencies): void {
  server.addService(inference.InferenceServiceService, {
    complete: unary({
      logger: deps.logger,
      keyRing: deps.follower.keyRing,
      scope: router.ApiKeyScope.API_KEY_SCOPE_INFERENCE,
      handler: complete(deps),
    }),
  });
}
