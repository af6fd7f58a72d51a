// Binds the FeedbackService: Submit needs a key with the feedback scope, ListFeedback one with
// the analytics scope.
import { feedback, router } from '@keel/contracts';
import { type KeelServer, type KeyRing, type KitLogger, type Principal, unary } from '@keel/kit';
import type { FeedbackDeps } from './deps';
import { listFeedbackRpc } from './list-feedback';
import { submitRpc } from './submit';

const { API_KEY_SCOPE_FEEDBACK: FEEDBACK, API_KEY_SCOPE_ANALYTICS: ANALYTICS } = router.ApiKeyScope;

export function bindFeedbackService(
  server: KeelServer,
  deps: FeedbackDeps & { keyRing: KeyRing; logger: KitLogger },
): void {
  const { keyRing, logger } = deps;
  const handlers: feedback.FeedbackServiceServer = {
    submit: unary({
      logger,
      keyRing,
      scope: FEEDBACK,
      handler: (request: feedback.SubmitRequest, context) =>
        submitRpc(deps, context.principal as Principal, request),
    }),
    listFeedback: unary({
      logger,
      keyRing,
      scope: ANALYTICS,
      handler: (request: feedback.ListFeedbackRequest, context) =>
        listFeedbackRpc(deps, context.principal as Principal, request),
    }),
  };
  server.addService(feedback.FeedbackServiceService, handlers);
}
