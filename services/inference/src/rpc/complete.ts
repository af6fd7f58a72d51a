// Complete: validate → route from the local policy snapshot → claim the idempotency key →
// admit (room in the publish backlog) → call the chain → publish InferenceCompleted → answer.
// The answer waits for JetStream's acknowledgement, so an inference a caller was answered is
// never unrecorded.
import type { inference } from '@keel/contracts';
import type { UnaryContext } from '@keel/kit';
import { currentTraceId } from '@keel/telemetry';
import { uuidv7 } from 'uuidv7';
import { completeResponse, unservedError, unservedStatus } from '../domain/answer';
import { requiredCapabilities } from '../domain/capabilities';
import { completedEvent } from '../domain/completed-event';
import { runChain } from '../domain/fallback';
import { requestHash } from '../domain/idempotency';
import { modelRequestOf, validateParameters } from '../domain/parameters';
import { routeRequest } from '../domain/route';
import { validateMessages } from '../domain/validate';
import type { InferenceDependencies } from './deps';
import {
  INFERENCE_ID_TRAILER,
  callerEnd,
  keepForRepeats,
  releaseClaim,
  step,
  tenantOf,
} from './shared';

export function complete(deps: InferenceDependencies) {
  return async (
    request: inference.CompleteRequest,
    { principal, signal, deadline, trailers }: UnaryContext,
  ): Promise<inference.CompleteResponse> => {
    const started = performance.now();
    const inferenceId = uuidv7();
    const tenantId = tenantOf(principal);

    validateMessages(request.messages, deps.limits);
    validateParameters(request);
    const needs = requiredCapabilities(request, false);
    const route = await step('route', () =>
      routeRequest(deps.follower.policy, tenantId, request, needs),
    );
    const claim = await step('idempotency', () =>
      deps.claims.claim(tenantId, request.idempotencyKey, requestHash(request), {
        signal,
        deadline,
      }),
    );
    if (claim.kind === 'replay') return { ...claim.response, idempotentReplay: true };

    try {
      deps.publisher.admit();
      const asked = modelRequestOf(request, route.maxTokens);
      const outcome = await runChain(route.chain, (model, retried) =>
        deps.providers.complete(model, asked, { signal, deadline, retried }),
      );
      const { served, attempts } = outcome;
      await deps.publisher.publish(
        completedEvent({
          inferenceId,
          tenantId,
          messages: request.messages,
          tags: request.tags,
          episodeId: request.episodeId,
          decision: route.decision,
          outcome,
          status: served ? undefined : unservedStatus(callerEnd(signal, deadline)),
          latencyMs: performance.now() - started,
          traceId: currentTraceId(),
          occurredAt: new Date(),
        }),
      );
      trailers.set(INFERENCE_ID_TRAILER, inferenceId);
      if (!served) throw unservedError(attempts, callerEnd(signal, deadline));

      const response = completeResponse(inferenceId, route.decision, served, outcome);
      await keepForRepeats(claim, response, deps.logger);
      return response;
    } catch (error) {
      await releaseClaim(claim, inferenceId, deps.logger);
      throw error;
    }
  };
}
