// Complete: validate → route from the local policy snapshot → claim the idempotency key →
// admit (room in the publish backlog) → call the chain → publish InferenceCompleted → answer.
// The answer waits for JetStream's acknowledgement, so an inference a caller was answered is
// never unrecorded.
import type { inference } from '@keel/contracts';
import type { UnaryContext } from '@keel/kit';
import { currentTraceId } from '@keel/telemetry';
import { uuidv7 } from 'uuidv7';
import { completeResponse, unservedError, unservedStatus } from '../domain/answer';
import { completedEvent } from '../domain/completed-event';
import { runChain } from '../domain/fallback';
import { modelRequestOf } from '../domain/parameters';
import type { InferenceDependencies } from './deps';
import { prepare, INFERENCE_ID_TRAILER, callerEnd, keepForRepeats, releaseClaim } from './shared';

export function complete(deps: InferenceDependencies) {
  return async (
    request: inference.CompleteRequest,
    context: UnaryContext,
  ): Promise<inference.CompleteResponse> => {
    const started = performance.now();
    const inferenceId = uuidv7();
    const { signal, deadline, trailers } = context;
    const { tenantId, route, claim } = await prepare(deps, request, context, false);
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
